#include "tensorflow_recommenders_addons/dynamic_embedding/core/kernels/redis_impl/accum_script.h"

namespace tfra {
namespace redis_table {

std::optional<AccumElement> AccumElementFromDtypeName(std::string_view name) {
  if (name == "float") return AccumElement::kFloat;
  if (name == "double") return AccumElement::kDouble;
  if (name == "int32") return AccumElement::kInt32;
  if (name == "int64") return AccumElement::kInt64;
  if (name == "int8") return AccumElement::kInt8;
  return std::nullopt;
}

std::string_view AccumStructFormat(AccumElement element) {
  switch (element) {
    case AccumElement::kFloat:
      return "<f";
    case AccumElement::kDouble:
      return "<d";
    case AccumElement::kInt32:
      return "<i4";
    case AccumElement::kInt64:
      return "<i8";
    case AccumElement::kInt8:
      return "<i1";
  }
  return "<f";
}

std::string_view AccumScript() {
  // Integer sums wrap like C's two's-complement arithmetic, so results equal
  // what an in-process table computes.
  static constexpr std::string_view kScript = R"lua(
local bucket = KEYS[1]
local fmt = ARGV[1]
local width = tonumber(ARGV[2])
local exists = ARGV[3]
local wrap = nil
if fmt == '<i1' then wrap = 256 elseif fmt == '<i4' then wrap = 4294967296 end
local written = 0
local pair = 0
for i = 4, #ARGV, 2 do
  pair = pair + 1
  local field, delta = ARGV[i], ARGV[i + 1]
  local flag = string.byte(exists, pair)
  local old = redis.call('HGET', bucket, field)
  if old and flag == 1 then
    if #old ~= #delta then
      return redis.error_reply('TFRA accum: stored row of ' .. #old ..
        ' bytes, delta of ' .. #delta .. ' bytes in ' .. bucket)
    end
    local parts = {}
    for offset = 1, #delta, width do
      local sum = struct.unpack(fmt, old, offset) + struct.unpack(fmt, delta, offset)
      if wrap then
        sum = sum % wrap
        if sum >= wrap / 2 then sum = sum - wrap end
      end
      parts[#parts + 1] = struct.pack(fmt, sum)
    end
    redis.call('HSET', bucket, field, table.concat(parts))
    written = written + 1
  elseif (not old) and flag == 0 then
    redis.call('HSET', bucket, field, delta)
    written = written + 1
  end
end
return written
)lua";
  return kScript;
}

}  // namespace redis_table
}  // namespace tfra

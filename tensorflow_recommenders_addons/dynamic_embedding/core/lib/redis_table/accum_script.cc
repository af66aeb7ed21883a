#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/accum_script.h"

#include <cstring>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/sha1.h"

namespace tfra {
namespace redis_table {

namespace {

// One HMGET per 2000 rows, one HSET per 1000 rows, and one struct.unpack
// and struct.pack per group of a row's elements (added by a generated
// function in calls of 128 rows or more). The first version's per-field
// HGET/HSET and per-element struct calls were 2.5-4x slower (issue #4).
// The script writes only after every row is read and checked, so an error
// reply leaves the bucket untouched.
constexpr std::string_view kAccumScript = R"lua(
local bucket = KEYS[1]
local letter = string.sub(ARGV[1], 2)
local width = tonumber(ARGV[2])
local flags = ARGV[3]
local n = (#ARGV - 3) / 2
-- int8/int32 sums wrap like two's complement: (s + half) % wrap - half.
local wrap = ({i1 = 256, i4 = 4294967296})[letter]
local half = wrap and wrap / 2
-- A C function may push at most 8000 values (LUAI_MAXCSTACK), which bounds
-- unpack(), redis.call arguments and struct results: long lists go in slices.
local slice = 2000
-- A generated function(a1..ak, b1..bk) returns k sums without tables, for
-- groups of 64 elements (within Lua's 250 registers). Compiling one costs
-- about as much as adding a hundred rows with tables, so short calls add
-- with tables, in groups of up to `slice` elements.
-- Servers whose sandbox lacks loadstring fall back to the table adder.
local generated = n >= 128 and type(loadstring) == 'function'
local group = generated and 64 or slice

local fields = {}
for p = 1, n do fields[p] = ARGV[2 + 2 * p] end
-- current[field]: the row as this call has left it (false: absent), so a
-- field given twice sees its first update.
local current = {}
for b = 1, n, slice do
  local e = math.min(b + slice - 1, n)
  local got = redis.call('HMGET', bucket, unpack(fields, b, e))
  for p = b, e do
    if current[fields[p]] == nil then current[fields[p]] = got[p - b + 1] end
  end
end

local formats, adders = {}, {}
local function format_of(k)
  local f = formats[k]
  if not f then
    f = '<' .. string.rep(letter, k)
    formats[k] = f
  end
  return f
end
local function adder_of(k)
  local g = adders[k]
  if g then return g end
  local params, sums = {}, {}
  for j = 1, k do
    params[j], params[k + j] = 'a' .. j, 'b' .. j
    sums[j] = 'a' .. j .. '+b' .. j
    if wrap then
      sums[j] = '(' .. sums[j] .. '+' .. half .. ')%' .. wrap .. '-' .. half
    end
  end
  g = loadstring('return function(' .. table.concat(params, ',') ..
    ') return ' .. table.concat(sums, ',') .. ' end')()
  adders[k] = g
  return g
end
local function add_group(k, old, delta)
  local f = format_of(k)
  if generated then
    return struct.pack(f, adder_of(k)(struct.unpack(format_of(2 * k),
                                                    old .. delta)))
  end
  local a, d = {struct.unpack(f, old)}, {struct.unpack(f, delta)}
  if wrap then
    for j = 1, k do a[j] = (a[j] + d[j] + half) % wrap - half end
  else
    for j = 1, k do a[j] = a[j] + d[j] end
  end
  return struct.pack(f, unpack(a, 1, k))
end
local function add(old, delta)
  local count = #delta / width
  if count <= group then return add_group(count, old, delta) end
  local out = {}
  for first = 0, count - 1, group do
    local k = math.min(group, count - first)
    local s, e = first * width + 1, (first + k) * width
    out[#out + 1] = add_group(k, string.sub(old, s, e), string.sub(delta, s, e))
  end
  return table.concat(out)
end
local function hex(bytes)
  return (string.gsub(string.sub(bytes, 1, 32), '.', function(c)
    return string.format('%02x', string.byte(c))
  end))
end

local dirty, order, written = {}, {}, 0
for p = 1, n do
  local field, delta = fields[p], ARGV[3 + 2 * p]
  local old = current[field]
  local flag = string.byte(flags, p)
  local new = nil
  if old and flag == 1 then
    if #old ~= #delta or #delta % width ~= 0 then
      return redis.error_reply('TFRA accum: field 0x' .. hex(field) ..
        ' stores ' .. #old .. ' bytes, the delta has ' .. #delta ..
        ' bytes of ' .. width .. '-byte elements')
    end
    new = add(old, delta)
  elseif (not old) and flag == 0 then
    new = delta
  end
  if new then
    current[field] = new
    if not dirty[field] then
      dirty[field] = true
      order[#order + 1] = field
    end
    written = written + 1
  end
end

local per_call = slice / 2
for b = 1, #order, per_call do
  local args = {}
  for i = b, math.min(b + per_call - 1, #order) do
    args[#args + 1] = order[i]
    args[#args + 1] = current[order[i]]
  end
  redis.call('HSET', bucket, unpack(args))
end
return written
)lua";

}  // namespace

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

std::string_view AccumScript() { return kAccumScript; }

std::string_view AccumScriptSha1() {
  static const std::string* const kSha1 =
      new std::string(Sha1Hex(AccumScript()));
  return *kSha1;
}

redis_client::Command AccumCommand(bool by_sha, std::string_view bucket,
                                   AccumElement element,
                                   const std::vector<std::string_view>& fields,
                                   const std::vector<std::string_view>& deltas,
                                   const std::vector<uint8_t>& exists,
                                   const std::vector<size_t>& order,
                                   size_t begin, size_t end) {
  std::string flags;
  flags.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) {
    flags.push_back(exists[order[i]] ? '\x01' : '\x00');
  }
  redis_client::Command command{
      by_sha ? "EVALSHA" : "EVAL", by_sha ? AccumScriptSha1() : AccumScript(),
      "1", bucket, AccumStructFormat(element)};
  command.AddInt(static_cast<int64_t>(AccumElementBytes(element)))
      .AddCopy(flags);
  for (size_t i = begin; i < end; ++i) {
    command.Add(fields[order[i]]).Add(deltas[order[i]]);
  }
  // The script reads and checks every row before it writes one, so an
  // error reply means it wrote nothing (a WAIT after it has nothing to
  // vouch for).
  command.AllOrNothing();
  return command;
}

bool IsNoScriptError(const Status& status) {
  // The client words a server error reply as "server replied <reply text>".
  return !status.ok() && status.message().find("server replied NOSCRIPT ") !=
                             std::string::npos;
}

}  // namespace redis_table
}  // namespace tfra

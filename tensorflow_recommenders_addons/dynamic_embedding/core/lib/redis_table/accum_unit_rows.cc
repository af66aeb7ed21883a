#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/accum_unit_rows.h"

#include <algorithm>
#include <cstring>
#include <functional>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/accum_element.h"

namespace tfra {
namespace redis_table {

namespace {

// Spreads the fields (8-byte int64 keys, often consecutive) over the slots
// (low bits) and their tags (high bits).
uint64_t FieldHash(std::string_view field) {
  uint64_t bits;
  if (field.size() == sizeof(bits)) {
    std::memcpy(&bits, field.data(), sizeof(bits));
  } else {
    bits = std::hash<std::string_view>()(field);
  }
  bits *= 0x9E3779B97F4A7C15ull;  // Fibonacci hashing: mixes into the top
  return bits ^ (bits >> 29);
}

}  // namespace

UnitRows::UnitRows(const AccumRequest& request, const KeyChunks& chunked,
                   size_t begin, size_t end, size_t bytes)
    : request_(request), chunked_(chunked), begin_(begin), end_(end) {
  arena_.reserve(bytes);
}

void UnitRows::Index() {
  const size_t keys = end_ - begin_;
  // At most half full. A slot holds the field hash's top 32 bits and 1 +
  // the row's index (0: free), so a probe reads a row only when the hashes
  // match.
  size_t size = 16;
  while (size < 2 * keys) size *= 2;
  const size_t mask = size - 1;
  std::vector<uint64_t> slots(size, 0);
  row_of_.resize(keys);
  rows_.reserve(keys);
  for (size_t i = 0; i < keys; ++i) {
    const std::string_view field =
        request_.keys->fields[chunked_.order[begin_ + i]];
    const uint64_t hash = FieldHash(field);
    const uint64_t tag = hash & ~uint64_t{0xffffffff};
    for (size_t s = hash & mask;; s = (s + 1) & mask) {
      const uint64_t slot = slots[s];
      if (slot == 0) {
        rows_.push_back(Row{field});
        slots[s] = tag | rows_.size();
        row_of_[i] = static_cast<uint32_t>(rows_.size() - 1);
        break;
      }
      const size_t row = static_cast<size_t>(slot & 0xffffffff) - 1;
      if ((slot & ~uint64_t{0xffffffff}) == tag && rows_[row].field == field) {
        row_of_[i] = static_cast<uint32_t>(row);
        break;
      }
    }
  }
}

bool UnitRows::ApplyKey(size_t position, bool is_nil,
                        std::string_view stored) {
  const size_t k = chunked_.order[position];
  const std::string_view delta = (*request_.deltas)[k];
  Row& row = rows_[row_of_[position - begin_]];
  if (!row.read) {
    // The unit's first key of this field; a repeated field keeps the row as
    // earlier keys of the call left it.
    row.read = true;
    row.offset = arena_.size();
    row.present = !is_nil;
    row.size = is_nil ? delta.size() : stored.size();
    if (is_nil) {
      arena_.append(delta.size(), '\0');
    } else {
      arena_.append(stored);
    }
  }
  // Add where the caller saw the row, set where it saw none.
  if (row.present != ((*request_.exists)[k] != 0)) return true;
  if (row.size != delta.size()) return false;
  if (row.present) {
    char* stored_row = &arena_[row.offset];
    AddRows(request_.element, stored_row, delta.data(), stored_row,
            delta.size());
  } else {
    std::memcpy(&arena_[row.offset], delta.data(), delta.size());
    row.present = true;
  }
  changed_ += row.changed ? 0 : 1;
  row.changed = true;
  return true;
}

std::vector<redis_client::Command> UnitRows::Writes(std::string_view bucket,
                                                  size_t per_command) const {
  std::vector<redis_client::Command> writes;
  writes.reserve((changed_ + per_command - 1) / per_command);
  size_t left = changed_;
  for (const Row& row : rows_) {
    if (!row.changed) continue;
    if (writes.empty() || writes.back().size() == 2 + 2 * per_command) {
      writes.push_back(redis_client::Command{"HSET", bucket});
      writes.back().Reserve(2 + 2 * std::min(left, per_command));
    }
    writes.back()
        .Add(row.field)
        .Add(std::string_view(arena_).substr(row.offset, row.size));
    --left;
  }
  return writes;
}

}  // namespace redis_table
}  // namespace tfra

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/slot_tags.h"

#include <algorithm>
#include <cassert>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/hash_slot.h"

namespace tfra {
namespace redis_table {
namespace {

static_assert(kNumClusterSlots == redis_client::kClusterSlots,
              "slot count must match the cluster hash-slot function");

std::vector<uint32_t> BuildSlotTagTable() {
  constexpr uint32_t kUnset = UINT32_MAX;
  std::vector<uint32_t> table(kNumClusterSlots, kUnset);
  uint32_t remaining = kNumClusterSlots;
  for (uint32_t n = 0; remaining > 0; ++n) {
    uint32_t& entry = table[redis_client::HashSlot(std::to_string(n))];
    if (entry == kUnset) {
      entry = n;
      --remaining;
    }
  }
  return table;
}

std::string TagForSlot(uint32_t slot) {
  return "{" + std::to_string(SlotTag(slot)) + "}";
}

Status CheckSliceCount(uint32_t storage_slice) {
  if (storage_slice == 0 || storage_slice > kNumClusterSlots) {
    return InvalidArgumentError(
        "storage_slice must be in [1, 16384] to derive bucket hash tags, got " +
        std::to_string(storage_slice));
  }
  return Status::Ok();
}

}  // namespace

const std::vector<uint32_t>& SlotTagTable() {
  // Function-local static: built once, thread-safe (C++11 magic statics),
  // never modified afterwards.
  static const std::vector<uint32_t> kTable = BuildSlotTagTable();
  return kTable;
}

uint32_t SlotTag(uint32_t slot) {
  assert(slot < kNumClusterSlots);
  return SlotTagTable()[slot];
}

std::string BraceTag(std::string_view tag) {
  std::string braced(tag);
  if (braced.empty() || braced.back() != '}') braced.push_back('}');
  if (braced.front() != '{') braced.insert(braced.begin(), '{');
  return braced;
}

std::vector<std::string> SequentialHashTags(uint32_t storage_slice) {
  assert(storage_slice >= 1 && storage_slice <= kNumClusterSlots);
  const uint32_t step = kNumClusterSlots / storage_slice;
  const uint32_t offset = kNumClusterSlots % storage_slice;
  std::vector<std::string> tags;
  tags.reserve(storage_slice);
  for (uint32_t i = 0; i < storage_slice; ++i) {
    tags.push_back(TagForSlot(step * i + offset));
  }
  return tags;
}

Result<std::vector<std::string>> TopologyHashTags(
    uint32_t storage_slice, std::vector<SlotRange> masters) {
  if (storage_slice == 0) {
    return InvalidArgumentError("storage_slice must be at least 1");
  }
  if (masters.empty()) {
    return InvalidArgumentError("cluster topology lists no master slot range");
  }
  for (const SlotRange& range : masters) {
    if (range.first > range.last || range.last >= kNumClusterSlots) {
      return InvalidArgumentError(
          "invalid cluster slot range " + std::to_string(range.first) + "-" +
          std::to_string(range.last));
    }
  }
  std::sort(masters.begin(), masters.end());
  masters.erase(std::unique(masters.begin(), masters.end()), masters.end());

  const uint64_t num_masters = masters.size();
  std::vector<std::string> tags;
  tags.reserve(storage_slice);
  for (uint32_t i = 0; i < storage_slice; ++i) {
    if (num_masters >= storage_slice) {
      tags.push_back(TagForSlot(masters[i].first));
      continue;
    }
    // Upstream's arithmetic, in unsigned integers (the product fits easily:
    // (16383 * 16384) < 2^32 and the values are widened to 64 bits anyway).
    const SlotRange& master = masters[i % num_masters];
    const uint64_t stride =
        uint64_t{master.last - master.first} * num_masters / storage_slice;
    tags.push_back(TagForSlot(
        static_cast<uint32_t>(master.first + (i / num_masters) * stride)));
  }
  return tags;
}

Result<std::vector<std::string>> BucketHashTags(
    uint32_t storage_slice, const std::vector<std::string>& explicit_tags,
    const std::vector<SlotRange>& masters) {
  if (storage_slice == 0) {
    return InvalidArgumentError("storage_slice must be at least 1");
  }
  if (explicit_tags.size() == storage_slice) {
    std::vector<std::string> tags;
    tags.reserve(storage_slice);
    for (const std::string& tag : explicit_tags) tags.push_back(BraceTag(tag));
    return tags;
  }
  if (!masters.empty()) return TopologyHashTags(storage_slice, masters);
  TFRA_TABLE_RETURN_IF_ERROR(CheckSliceCount(storage_slice));
  return SequentialHashTags(storage_slice);
}

}  // namespace redis_table
}  // namespace tfra

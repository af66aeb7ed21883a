// Hash tags that place each bucket of a table on a chosen Redis Cluster slot,
// reproducing upstream TFRA's bucket-name rules (spec 4.1) exactly, because
// bucket names are part of the stored data layout.
//
// SlotTag(s) is the smallest non-negative integer whose decimal text hashes
// to cluster slot s. Upstream pastes this as a 16384-entry table; here it is
// computed on first use by scanning 0, 1, 2, ... until every slot is covered
// (109,758 CRC16s of <= 6 digits, a few milliseconds), then kept immutable.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_SLOT_TAGS_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_SLOT_TAGS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_status.h"

namespace tfra {
namespace redis_table {

inline constexpr uint32_t kNumClusterSlots = 16384;

// The 16384 values T[s], built once (thread-safe static initialisation) and
// shared read-only afterwards.
const std::vector<uint32_t>& SlotTagTable();

// T[slot]. Precondition: slot < kNumClusterSlots.
uint32_t SlotTag(uint32_t slot);

// The slots owned by one cluster master: the first slot range it reports,
// inclusive on both ends.
struct SlotRange {
  uint32_t first = 0;
  uint32_t last = 0;
  friend bool operator==(const SlotRange& a, const SlotRange& b) {
    return a.first == b.first && a.last == b.last;
  }
  friend bool operator<(const SlotRange& a, const SlotRange& b) {
    return a.first != b.first ? a.first < b.first : a.last < b.last;
  }
};

// Wraps a user-given tag in braces where missing, as upstream does:
// "3560" -> "{3560}", "{3560" -> "{3560}", "{3560}" unchanged. The content is
// not validated here (the config parser rejects empty entries).
std::string BraceTag(std::string_view tag);

// Rule 2 (no cluster topology): with q = 16384 / S and r = 16384 % S, bucket
// i gets "{T[q*i + r]}". Precondition: 1 <= storage_slice <= 16384.
std::vector<std::string> SequentialHashTags(uint32_t storage_slice);

// Rule 3 (cluster topology): `masters` is sorted and deduplicated here. With
// M masters and S buckets: if M >= S bucket i gets "{T[masters[i].first]}";
// otherwise bucket i uses master m = masters[i % M] and slot
// m.first + (i / M) * ((m.last - m.first) * M / S). InvalidArgument when the
// list is empty, a range is reversed or a slot is >= 16384, or S is 0.
Result<std::vector<std::string>> TopologyHashTags(
    uint32_t storage_slice, std::vector<SlotRange> masters);

// The full upstream rule set for one table side (runtime or import):
// explicit tags when their count equals `storage_slice` (braces added),
// else rule 3 when `masters` is non-empty, else rule 2. An explicit list of
// another length is ignored, as upstream does (the config parser refuses
// such lists before they get here). InvalidArgument if storage_slice is 0 or
// above 16384 without explicit tags.
Result<std::vector<std::string>> BucketHashTags(
    uint32_t storage_slice, const std::vector<std::string>& explicit_tags,
    const std::vector<SlotRange>& masters);

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_SLOT_TAGS_H_

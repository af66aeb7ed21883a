// A cluster's slot map as reported by CLUSTER SLOTS: ordered, disjoint slot
// ranges, each with its master and replicas. Immutable once built, so a
// router can share one map between threads and swap in a fresh one.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_SLOT_MAP_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_SLOT_MAP_H_

#include <cstdint>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/options.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/reply.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/status.h"

namespace tfra {
namespace redis_client {

struct SlotRange {
  uint16_t first = 0;  // inclusive
  uint16_t last = 0;   // inclusive
  Endpoint master;
  std::vector<Endpoint> replicas;
};

// Immutable after construction; safe to read from many threads.
class SlotMap {
 public:
  SlotMap() = default;
  // Ranges must be disjoint; they are sorted here.
  explicit SlotMap(std::vector<SlotRange> ranges);

  // Parses a CLUSTER SLOTS reply received from `answered_by` (whose host
  // stands in for nodes reported with an empty or unknown address). Rejects
  // malformed entries, overlapping ranges and an empty map.
  static Result<SlotMap> FromClusterSlots(const ReplyView& reply,
                                          const Endpoint& answered_by);

  // The range holding `slot`, or nullptr when no node serves it.
  const SlotRange* Find(uint16_t slot) const;
  // Distinct masters, in slot order.
  std::vector<Endpoint> Masters() const;
  // Distinct masters and replicas.
  std::vector<Endpoint> Nodes() const;
  // Slots served by some node (16384 when the cluster is fully covered).
  int covered_slots() const;
  const std::vector<SlotRange>& ranges() const { return ranges_; }

 private:
  std::vector<SlotRange> ranges_;  // sorted by `first`, disjoint
};

}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_SLOT_MAP_H_

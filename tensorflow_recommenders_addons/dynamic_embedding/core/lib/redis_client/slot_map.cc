#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/slot_map.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/hash_slot.h"

namespace tfra {
namespace redis_client {
namespace {

Status Malformed(const std::string& why) {
  return Status(ErrorCode::kProtocol, "malformed CLUSTER SLOTS reply: " + why);
}

// One node entry: [host, port, id, ...].
Result<Endpoint> ParseNode(const ReplyView& node, const Endpoint& answered_by) {
  Result<size_t> size = node.ArraySize();
  if (!size.ok() || *size < 2)
    return Malformed("node entry is not [host, port, ...]");
  Result<std::string_view> host = node.element(0).AsString();
  Result<int64_t> port = node.element(1).AsInteger();
  if (!host.ok() || !port.ok() || *port <= 0 || *port > 65535) {
    return Malformed("bad node address");
  }
  // Redis reports "" (or "?") when a node does not know its own address.
  const bool unknown = host->empty() || *host == "?";
  return Endpoint{unknown ? answered_by.host : std::string(*host),
                  static_cast<int>(*port)};
}

Result<SlotRange> ParseRange(const ReplyView& entry,
                             const Endpoint& answered_by) {
  Result<size_t> size = entry.ArraySize();
  if (!size.ok() || *size < 3)
    return Malformed("range is not [first, last, master, ...]");
  Result<int64_t> first = entry.element(0).AsInteger();
  Result<int64_t> last = entry.element(1).AsInteger();
  if (!first.ok() || !last.ok() || *first < 0 || *first > *last ||
      *last >= kClusterSlots) {
    return Malformed("bad slot range");
  }
  SlotRange range;
  range.first = static_cast<uint16_t>(*first);
  range.last = static_cast<uint16_t>(*last);
  Result<Endpoint> master = ParseNode(entry.element(2), answered_by);
  if (!master.ok()) return master.status();
  range.master = std::move(master).value();
  for (size_t i = 3; i < *size; ++i) {
    Result<Endpoint> replica = ParseNode(entry.element(i), answered_by);
    if (!replica.ok()) return replica.status();
    range.replicas.push_back(std::move(replica).value());
  }
  return range;
}

}  // namespace

SlotMap::SlotMap(std::vector<SlotRange> ranges) : ranges_(std::move(ranges)) {
  std::sort(
      ranges_.begin(), ranges_.end(),
      [](const SlotRange& a, const SlotRange& b) { return a.first < b.first; });
}

Result<SlotMap> SlotMap::FromClusterSlots(const ReplyView& reply,
                                          const Endpoint& answered_by) {
  TFRA_REDIS_RETURN_IF_ERROR(reply.ToStatus());
  Result<size_t> size = reply.ArraySize();
  if (!size.ok()) return size.status();
  std::vector<SlotRange> ranges;
  for (size_t i = 0; i < *size; ++i) {
    Result<SlotRange> range = ParseRange(reply.element(i), answered_by);
    if (!range.ok()) return range.status();
    ranges.push_back(std::move(range).value());
  }
  if (ranges.empty()) {
    return Status(ErrorCode::kNoNode,
                  answered_by.ToString() + " serves no slots");
  }
  SlotMap map(std::move(ranges));
  for (size_t i = 1; i < map.ranges_.size(); ++i) {
    if (map.ranges_[i].first <= map.ranges_[i - 1].last) {
      return Malformed("overlapping slot ranges");
    }
  }
  return map;
}

const SlotRange* SlotMap::Find(uint16_t slot) const {
  // The last range starting at or before `slot`.
  auto after = std::upper_bound(
      ranges_.begin(), ranges_.end(), slot,
      [](uint16_t s, const SlotRange& range) { return s < range.first; });
  if (after == ranges_.begin()) return nullptr;
  const SlotRange& range = *(after - 1);
  return slot <= range.last ? &range : nullptr;
}

std::vector<Endpoint> SlotMap::Masters() const {
  std::vector<Endpoint> masters;
  std::set<Endpoint> seen;
  for (const SlotRange& range : ranges_) {
    if (seen.insert(range.master).second) masters.push_back(range.master);
  }
  return masters;
}

std::vector<Endpoint> SlotMap::Nodes() const {
  std::set<Endpoint> nodes;
  for (const SlotRange& range : ranges_) {
    nodes.insert(range.master);
    nodes.insert(range.replicas.begin(), range.replicas.end());
  }
  return std::vector<Endpoint>(nodes.begin(), nodes.end());
}

int SlotMap::covered_slots() const {
  int covered = 0;
  for (const SlotRange& range : ranges_)
    covered += range.last - range.first + 1;
  return covered;
}

}  // namespace redis_client
}  // namespace tfra

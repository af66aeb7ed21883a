#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/key_chunks.h"

#include <algorithm>
#include <cassert>
#include <functional>
#include <utility>

namespace tfra {
namespace redis_table {

redis_client::Command ChunkCommand(
    const char* name, std::string_view bucket,
    const std::vector<std::string_view>& fields,
    const std::vector<std::string_view>* values,
    const std::vector<size_t>& order, size_t begin, size_t end) {
  redis_client::Command command{name, bucket};
  command.Reserve(2 + (values != nullptr ? 2 : 1) * (end - begin));
  for (size_t i = begin; i < end; ++i) {
    command.Add(fields[order[i]]);
    if (values != nullptr) command.Add((*values)[order[i]]);
  }
  return command;
}

KeyChunks ChunkKeysByBucket(const std::vector<uint32_t>& bucket_of_key,
                            uint32_t bucket_count,
                            size_t max_keys_per_chunk) {
  assert(bucket_count >= 1 && max_keys_per_chunk >= 1);
  // Counting sort: start[b] is where bucket b's keys begin in `order`.
  std::vector<size_t> start(static_cast<size_t>(bucket_count) + 1, 0);
  for (uint32_t bucket : bucket_of_key) {
    assert(bucket < bucket_count);
    ++start[bucket + 1];
  }
  for (uint32_t b = 0; b < bucket_count; ++b) start[b + 1] += start[b];

  KeyChunks chunked;
  chunked.order.resize(bucket_of_key.size());
  std::vector<size_t> next(start.begin(), start.end() - 1);
  for (size_t i = 0; i < bucket_of_key.size(); ++i) {
    chunked.order[next[bucket_of_key[i]]++] = i;
  }
  for (uint32_t b = 0; b < bucket_count; ++b) {
    for (size_t begin = start[b]; begin < start[b + 1];
         begin += max_keys_per_chunk) {
      const size_t end = std::min(start[b + 1], begin + max_keys_per_chunk);
      chunked.chunks.push_back(KeyChunk{b, begin, end});
    }
  }
  return chunked;
}

namespace {

// Sub-groups per bucket: enough to give each lane a full chunk, at most
// max_lanes / bucket_count and max_lanes_per_bucket.
uint32_t SplitsPerBucket(size_t keys, uint32_t bucket_count,
                         size_t max_keys_per_chunk, size_t max_lanes,
                         size_t max_lanes_per_bucket) {
  const size_t per_bucket_lanes =
      std::min(max_lanes / bucket_count, max_lanes_per_bucket);
  if (per_bucket_lanes <= 1) return 1;
  const size_t chunks_per_bucket =
      (keys / bucket_count + max_keys_per_chunk - 1) / max_keys_per_chunk;
  return static_cast<uint32_t>(
      std::max<size_t>(1, std::min(per_bucket_lanes, chunks_per_bucket)));
}

// Contiguous ranges of `groups` chunk groups, at most `max_lanes` of them,
// each cut at a group boundary. `group_end[g]` is one past group g's last
// chunk.
std::vector<std::pair<size_t, size_t>> LaneRanges(
    const std::vector<size_t>& group_end, size_t max_lanes) {
  std::vector<std::pair<size_t, size_t>> lanes;
  const size_t groups = group_end.size();
  size_t begin = 0;
  for (size_t lane = 0; lane < max_lanes; ++lane) {
    const size_t last_group = (lane + 1) * groups / max_lanes;
    if (last_group == 0) continue;
    const size_t end = group_end[last_group - 1];
    if (end > begin) lanes.emplace_back(begin, end);
    begin = std::max(begin, end);
  }
  return lanes;
}

}  // namespace

LanePlan PlanLanes(const std::vector<std::string_view>& fields,
                   const std::vector<uint32_t>& bucket_of_key,
                   uint32_t bucket_count, size_t max_keys_per_chunk,
                   size_t max_lanes, size_t max_lanes_per_bucket) {
  assert(max_lanes >= 1 && max_lanes_per_bucket >= 1 &&
         fields.size() == bucket_of_key.size());
  const uint32_t splits =
      SplitsPerBucket(fields.size(), bucket_count, max_keys_per_chunk,
                      max_lanes, max_lanes_per_bucket);
  LanePlan plan;
  if (splits == 1) {
    plan.chunked =
        ChunkKeysByBucket(bucket_of_key, bucket_count, max_keys_per_chunk);
  } else {
    std::vector<uint32_t> group_of_key(fields.size());
    const std::hash<std::string_view> hash;
    for (size_t i = 0; i < fields.size(); ++i) {
      group_of_key[i] = bucket_of_key[i] * splits +
                        static_cast<uint32_t>(hash(fields[i]) % splits);
    }
    plan.chunked = ChunkKeysByBucket(group_of_key, bucket_count * splits,
                                     max_keys_per_chunk);
  }
  // One past the last chunk of each non-empty group, in chunk order.
  std::vector<size_t> group_end;
  for (size_t c = 0; c < plan.chunked.chunks.size(); ++c) {
    const KeyChunk& chunk = plan.chunked.chunks[c];
    const bool last_of_group =
        c + 1 == plan.chunked.chunks.size() ||
        plan.chunked.chunks[c + 1].bucket != chunk.bucket;
    if (last_of_group) group_end.push_back(c + 1);
  }
  for (KeyChunk& chunk : plan.chunked.chunks) {
    chunk.part = chunk.bucket % splits;
    chunk.bucket /= splits;
  }
  plan.lanes = LaneRanges(group_end, max_lanes);
  return plan;
}

}  // namespace redis_table
}  // namespace tfra

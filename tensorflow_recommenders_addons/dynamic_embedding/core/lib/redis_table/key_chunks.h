// How one op's keys become Redis commands, in three words:
//   KeyBatch  (key_batch.h) the op's keys: field bytes and bucket of each;
//   KeyChunk  keys of one bucket, at most keys_sending_size of them: one
//             command (one hash tag, hence one cluster slot; bounded size);
//   lane      consecutive chunks sent as one pipeline (LanePlan); the lanes
//             of one op run in parallel.
// KeyChunks groups a batch's keys by bucket and cuts them into chunks;
// LanePlan adds the lanes.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_KEY_CHUNKS_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_KEY_CHUNKS_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/command.h"

namespace tfra {
namespace redis_table {

// Keys order[begin, end) all live in `bucket`.
struct KeyChunk {
  uint32_t bucket = 0;
  size_t begin = 0;
  size_t end = 0;
  // Which of its bucket's parts the keys are in: PlanLanes may split a
  // bucket's keys by a hash of the field (0 when it does not).
  uint32_t part = 0;
};

// A plain value; build on one thread, then read from any number.
struct KeyChunks {
  // Key positions (indices into the op's key list), bucket by bucket; within
  // a bucket the input order is kept, so for duplicate keys in one batch the
  // last one written wins, as in upstream.
  std::vector<size_t> order;
  std::vector<KeyChunk> chunks;
};

// `name` `bucket` then, per key order[begin, end), its field (and its value
// when `values` is given): a chunk's HMGET, HDEL or HSET, built in place.
// (Gathering the chunk's views first and handing them to redis_client::Hmget
// copied them twice: ~35 instructions per key of a 1k-key find, callgrind.)
redis_client::Command ChunkCommand(
    const char* name, std::string_view bucket,
    const std::vector<std::string_view>& fields,
    const std::vector<std::string_view>* values,
    const std::vector<size_t>& order, size_t begin, size_t end);

// `bucket_of_key[i]` < `bucket_count` is key i's bucket; `max_keys_per_chunk`
// >= 1. Linear in the number of keys (a counting sort).
KeyChunks ChunkKeysByBucket(const std::vector<uint32_t>& bucket_of_key,
                            uint32_t bucket_count, size_t max_keys_per_chunk);

// Chunks grouped into lanes: each lane is one pipeline on its own connection,
// and the lanes of one op run in parallel, so a big batch on one node uses
// several connections at once (as a raw client with two connections does)
// and each lane decodes its replies as soon as they arrive.
struct LanePlan {
  // `chunked.chunks[i].bucket` is the table bucket of the chunk.
  KeyChunks chunked;
  // Chunks [lanes[l].first, lanes[l].second) form lane l; lanes are
  // contiguous, in chunk order, and never empty.
  std::vector<std::pair<size_t, size_t>> lanes;
};

// Most lanes (parallel pipelines) of one op, in all and per bucket: one lane
// per bucket lets cluster masters work at once, and two connections to one
// node reached its raw limit on a 2-core host (four were slower: measured
// 0.82 vs 1.01 of raw HMGET at 16k keys); more lanes only add scheduling.
inline constexpr size_t kMaxLanes = 4;
inline constexpr size_t kMaxLanesPerBucket = 2;

// Ops of at most this many keys run on the calling thread, as one lane (and
// a find through the read cache copies its hits on it after reading its
// misses): handing lanes to pool threads costs more than it saves here, and a
// cluster client without an executor keeps every node's pipeline window
// full from this thread, so the nodes still work at once. Measured with
// store_bench against one lane per bucket on the pool: cluster find at 1k
// keys 2.7 -> 3.2 M keys/s (dim 8) and 1.09 -> 1.28 (dim 256); standalone
// find at 4k keys, dim 256, 0.58 -> 0.79; at 16k keys the pool was faster.
inline constexpr size_t kInlineMaxKeys = 4096;

// Groups keys by bucket (as ChunkKeysByBucket) and plans at most `max_lanes`
// lanes. A bucket holding more than one chunk's worth of keys is split over
// up to min(max_lanes / bucket_count, max_lanes_per_bucket) lanes by a hash
// of the field, never by position: copies of one key stay in one lane, in
// input order, so the last write of a duplicated key still wins. Few large
// buckets get several lanes each; many buckets share lanes (contiguous bucket
// ranges). `fields` and `bucket_of_key` have one entry per key; both limits
// are >= 1. Chunks of a split bucket say which part they hold (the parts'
// chunks follow each other in part order).
LanePlan PlanLanes(const std::vector<std::string_view>& fields,
                   const std::vector<uint32_t>& bucket_of_key,
                   uint32_t bucket_count, size_t max_keys_per_chunk,
                   size_t max_lanes, size_t max_lanes_per_bucket);

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_KEY_CHUNKS_H_

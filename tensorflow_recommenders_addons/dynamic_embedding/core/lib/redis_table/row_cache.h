// The read cache: stored rows that lookups found in Redis, kept in process
// memory so that the next lookup of a hot key costs no round trip (opt-in,
// redis_read_cache_bytes). Serving traffic is skewed: a few ids take most
// lookups, each one a round trip to a single Redis thread otherwise.
//
// - Bounded: every entry is charged its key bytes (a 4-byte bucket id and
//   the field), its stored value bytes and kEntryOverheadBytes; the charges
//   never sum above the capacity (each shard holds an equal share and evicts
//   by CLOCK, row_cache_shard.h; up to kMaxShards shards, at least
//   kMinShardBytes each, so a small cache still holds rows).
// - Stale at most `staleness` (given per lookup): a row cached longer ago is
//   a miss and is read again. Writes through this process drop their keys
//   (Invalidate, after the write), and an entry read from Redis before such
//   a write ended is not inserted after it: every shard counts the writes
//   that touched it, and Insert is refused when that count moved since the
//   lookup that missed (its ticket).
// - Keys are (bucket id, field); a bucket id names one Redis hash of one
//   deployment (BucketId), so tables that read the same Redis rows share
//   entries, and tables of other deployments never do.
//
// Thread-safe: any number of lookups and writes at once (a mutex per shard).
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ROW_CACHE_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ROW_CACHE_H_

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/row_cache_shard.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_status.h"

namespace tfra {
namespace redis_table {

struct RowCacheStats {
  int64_t hits = 0;
  int64_t misses = 0;     // expired entries included
  int64_t expired = 0;    // found, but cached longer ago than the staleness
  int64_t evictions = 0;  // entries dropped to make room
  int64_t entries = 0;
  int64_t bytes = 0;      // charged, <= capacity_bytes
  int64_t capacity_bytes = 0;
};

class RowCache {
 public:
  using Clock = std::chrono::steady_clock;

  // Charged per entry beside its key and value bytes.
  static constexpr size_t kEntryOverheadBytes =
      RowCacheShard::kEntryOverheadBytes;
  // Shards spread concurrent lookups over locks (4 callers at once met no
  // contention worth measuring at 64).
  static constexpr size_t kMaxShards = 64;
  static constexpr size_t kMinShardBytes = size_t{64} << 10;

  explicit RowCache(int64_t capacity_bytes);
  RowCache(const RowCache&) = delete;
  RowCache& operator=(const RowCache&) = delete;

  // The id of `bucket_key` on the deployment named `deployment` (any text
  // that tells deployments apart), the same for every caller. Ids are never
  // reused.
  uint32_t BucketId(std::string_view deployment, std::string_view bucket_key);

  // A lookup's miss: the key's index in the lookup and the shard's write
  // count when it missed.
  struct Miss {
    size_t index;
    uint64_t ticket;
  };
  using HitFn = std::function<Status(size_t index, std::string_view stored)>;

  // For each key i (bucket_ids[buckets[i]], fields[i]): calls on_hit(i,
  // value) when a copy cached at most `staleness` ago exists (under the
  // shard's lock: keep it short), else appends a Miss. Keys are visited
  // shard by shard (one lock each), their memory loads prefetched ahead.
  // Stops at the first error on_hit returns.
  Status Lookup(const std::vector<uint32_t>& bucket_ids,
                const std::vector<uint32_t>& buckets,
                const std::vector<std::string_view>& fields,
                Clock::duration staleness, const HitFn& on_hit,
                std::vector<Miss>* misses);

  // The keys Classify found: their indices, hashes and entries, grouped by
  // shard (runs: hits [previous run's end, end) lie in shard `shard`, which
  // had had `removals` removals when Classify saw them; while that count
  // holds, the entries are still there).
  struct Hits {
    struct Run {
      size_t shard;
      size_t end;
      uint64_t removals;
    };
    std::vector<size_t> index;
    std::vector<uint64_t> hash;
    std::vector<const RowCacheShard::Entry*> entry;
    std::vector<Run> runs;
  };

  // Lookup in two halves, so that a caller can read the misses from Redis
  // while it copies the hits. Classify counts every key as Lookup does and
  // appends the cached ones to *hits (empty before), the others to
  // *misses, touching only the first line of each entry. CopyHits then
  // calls on_hit for the keys `hits` that are still cached (straight from
  // the entries Classify found, in shards that removed none since); those
  // dropped or expired since are appended to *misses and counted as misses.
  void Classify(const std::vector<uint32_t>& bucket_ids,
                const std::vector<uint32_t>& buckets,
                const std::vector<std::string_view>& fields,
                Clock::duration staleness, Hits* hits,
                std::vector<Miss>* misses);
  Status CopyHits(const std::vector<uint32_t>& bucket_ids,
                  const std::vector<uint32_t>& buckets,
                  const std::vector<std::string_view>& fields,
                  const Hits& hits, Clock::duration staleness,
                  const HitFn& on_hit, std::vector<Miss>* misses);

  // Caches what Redis returned for a missed key, read at `read_at` (taken
  // before the read was sent), unless a write touched the key's shard since
  // the miss or the entry cannot fit a shard.
  void Insert(uint32_t bucket_id, std::string_view field,
              std::string_view stored, uint64_t ticket, Clock::time_point read_at);

  // A missed key's row as read from Redis, for Insert.
  struct Fetched {
    uint32_t bucket_id;
    std::string_view field;
    std::string_view stored;
    uint64_t ticket;
  };
  // Insert of many rows read at `read_at`, one lock per shard.
  void Insert(const std::vector<Fetched>& rows, Clock::time_point read_at);

  // Drops the keys (a write of them ended, or is about to).
  void Invalidate(const std::vector<uint32_t>& bucket_ids,
                  const std::vector<uint32_t>& buckets,
                  const std::vector<std::string_view>& fields);
  // Drops every entry of the buckets (clear, restore).
  void InvalidateBuckets(const std::vector<uint32_t>& bucket_ids);

  RowCacheStats stats() const;
  int64_t capacity_bytes() const { return capacity_bytes_; }

 private:
  struct Shard {
    explicit Shard(size_t capacity_bytes) : rows(capacity_bytes) {}
    mutable std::mutex mu;
    RowCacheShard rows;  // guarded by mu
  };

  // The hash of (bucket id, field), never 0.
  static uint64_t KeyHash(uint32_t bucket_id, std::string_view field);
  // Bits 40 and up pick the shard; a shard's slots use the low bits.
  size_t ShardIndex(uint64_t hash) const {
    return (hash >> 40) & (shards_.size() - 1);
  }
  Shard& ShardOf(uint64_t hash) { return *shards_[ShardIndex(hash)]; }

  // One pass over keys: which of Lookup and Classify it serves.
  enum class Pass { kLookup, kClassify };
  // Keys of one pass: their indices, hashes and the order that groups them
  // by shard.
  struct Visit;
  // Positions 0..hashes.size()-1 grouped by shard (a counting sort) into
  // *order; shard s's are order[(*starts)[s], (*starts)[s + 1]).
  void GroupByShard(const std::vector<uint64_t>& hashes,
                    std::vector<size_t>* order,
                    std::vector<size_t>* starts) const;
  // Visits all keys shard by shard; the keys missed go to *misses, and with
  // kClassify the keys found to *hits. Returns the expired entries met
  // through *expired.
  Status Run(Pass pass, const std::vector<uint32_t>& bucket_ids,
             const std::vector<uint32_t>& buckets,
             const std::vector<std::string_view>& fields,
             Clock::duration staleness, const HitFn* on_hit, Hits* hits,
             std::vector<Miss>* misses, int64_t* expired);
  // CopyHits of the hits [begin, run.end) of one run.
  Status CopyRun(const std::vector<uint32_t>& bucket_ids,
                 const std::vector<uint32_t>& buckets,
                 const std::vector<std::string_view>& fields, const Hits& hits,
                 size_t begin, const Hits::Run& run, int64_t oldest_ns,
                 const HitFn& on_hit, std::vector<Miss>* misses,
                 int64_t* expired);
  // Visits the keys visit.order[begin, end), all of shard `shard_index`,
  // holding its lock.
  Status RunInShard(Pass pass, size_t shard_index, const Visit& visit,
                    size_t begin, size_t end, int64_t oldest_ns,
                    const HitFn* on_hit, Hits* hits, std::vector<Miss>* misses,
                    int64_t* expired);
  // Adds a pass's outcome to the stats.
  void Count(size_t looked_up, size_t missed, int64_t expired);

  const int64_t capacity_bytes_;
  std::vector<std::unique_ptr<Shard>> shards_;  // a power of two of them

  std::mutex ids_mu_;
  std::unordered_map<std::string, uint32_t> bucket_ids_;  // guarded by ids_mu_

  std::atomic<int64_t> hits_{0};
  std::atomic<int64_t> misses_{0};
  std::atomic<int64_t> expired_{0};
  std::atomic<int64_t> evictions_{0};
};

// The process's read cache, shared by its tables (the issue that asked for
// the cache asks for one per process; it is the one process-wide object
// besides the client registry). Made by the first call with capacity_bytes
// > 0 and kept for the life of the process; a later call asking for another
// capacity gets the same cache, and `*note` (may be null) says so. With
// capacity_bytes == 0 it returns the cache if one exists, else null: tables
// without a cache of their own still drop the rows they write from it.
std::shared_ptr<RowCache> ProcessRowCache(int64_t capacity_bytes,
                                          std::string* note);

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ROW_CACHE_H_

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/row_cache.h"

#include <algorithm>
#include <cstring>

namespace tfra {
namespace redis_table {
namespace {

// The most shards of at least RowCache::kMinShardBytes, a power of two.
size_t ShardsFor(int64_t capacity_bytes) {
  size_t shards = 1;
  while (shards < RowCache::kMaxShards &&
         static_cast<int64_t>(2 * shards * RowCache::kMinShardBytes) <=
             capacity_bytes) {
    shards *= 2;
  }
  return shards;
}

int64_t Nanos(RowCache::Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             t.time_since_epoch())
      .count();
}

// How far ahead of the key being looked up its successors' memory is
// fetched: the slot first, then (once the slot is in cache) the entry.
constexpr size_t kSlotAhead = 16;
constexpr size_t kEntryAhead = 8;

}  // namespace

RowCache::RowCache(int64_t capacity_bytes) : capacity_bytes_(capacity_bytes) {
  const size_t count = ShardsFor(capacity_bytes);
  for (size_t s = 0; s < count; ++s) {
    shards_.push_back(std::make_unique<Shard>(
        static_cast<size_t>(capacity_bytes) / count));
  }
}

uint32_t RowCache::BucketId(std::string_view deployment,
                            std::string_view bucket_key) {
  // Length-prefixed, so that no two (deployment, bucket) pairs collide.
  std::string name = std::to_string(deployment.size()) + ":";
  name.append(deployment).append(bucket_key);
  std::lock_guard<std::mutex> lock(ids_mu_);
  auto [it, fresh] = bucket_ids_.try_emplace(
      std::move(name), static_cast<uint32_t>(bucket_ids_.size()));
  return it->second;
}

uint64_t RowCache::KeyHash(uint32_t bucket_id, std::string_view field) {
  // The field's bytes (an int64 key's 8 directly, others through
  // std::hash), the bucket id mixed in, then a finalizer (splitmix64's) so
  // that the shard bits are spread too.
  uint64_t h;
  if (field.size() == sizeof(uint64_t)) {
    std::memcpy(&h, field.data(), sizeof(h));
  } else {
    h = std::hash<std::string_view>()(field);
  }
  h ^= (uint64_t{bucket_id} + 1) * 0x9E3779B97F4A7C15ull;
  h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ull;
  h = (h ^ (h >> 27)) * 0x94D049BB133111EBull;
  h ^= h >> 31;
  return h == 0 ? 1 : h;
}

struct RowCache::Visit {
  const std::vector<uint32_t>& bucket_ids;
  const std::vector<uint32_t>& buckets;
  const std::vector<std::string_view>& fields;
  std::vector<size_t> order;    // key indices, grouped by shard
  std::vector<uint64_t> hashes;  // by position in `order`

  RowKey KeyAt(size_t p) const {
    const size_t i = order[p];
    return RowKey{bucket_ids[buckets[i]], fields[i]};
  }
};

Status RowCache::RunInShard(Pass pass, size_t shard_index, const Visit& visit,
                            size_t begin, size_t end, int64_t oldest_ns,
                            const HitFn* on_hit, Hits* hits,
                            std::vector<Miss>* misses, int64_t* expired) {
  Shard& shard = *shards_[shard_index];
  std::lock_guard<std::mutex> lock(shard.mu);
  RowCacheShard& rows = shard.rows;
  for (size_t p = begin; p < end; ++p) {
    if (p + kSlotAhead < end) rows.PrefetchSlot(visit.hashes[p + kSlotAhead]);
    if (p + kEntryAhead < end) {
      const uint64_t ahead = visit.hashes[p + kEntryAhead];
      // Classify reads an entry's first line only.
      if (pass == Pass::kClassify) {
        rows.PrefetchEntryHead(ahead);
      } else {
        rows.PrefetchEntry(ahead);
      }
    }
    const uint64_t hash = visit.hashes[p];
    const RowCacheShard::Entry* entry = rows.FindEntry(hash, visit.KeyAt(p));
    const size_t i = visit.order[p];
    if (entry != nullptr) {
      const RowCacheShard::Found found = RowCacheShard::Read(entry);
      if (found.read_at_ns >= oldest_ns) {
        if (pass == Pass::kClassify) {
          hits->index.push_back(i);
          hits->hash.push_back(hash);
          hits->entry.push_back(entry);
        } else {
          TFRA_TABLE_RETURN_IF_ERROR((*on_hit)(i, found.value));
        }
        continue;
      }
      ++*expired;
    }
    misses->push_back(Miss{i, rows.writes()});
  }
  if (pass == Pass::kClassify) {
    hits->runs.push_back(
        Hits::Run{shard_index, hits->index.size(), rows.removals()});
  }
  return Status::Ok();
}

void RowCache::GroupByShard(const std::vector<uint64_t>& hashes,
                            std::vector<size_t>* order,
                            std::vector<size_t>* starts) const {
  starts->assign(shards_.size() + 1, 0);
  for (uint64_t hash : hashes) ++(*starts)[ShardIndex(hash) + 1];
  for (size_t s = 1; s < starts->size(); ++s) (*starts)[s] += (*starts)[s - 1];
  std::vector<size_t> next(starts->begin(), starts->end() - 1);
  order->resize(hashes.size());
  for (size_t k = 0; k < hashes.size(); ++k) {
    (*order)[next[ShardIndex(hashes[k])]++] = k;
  }
}

Status RowCache::Run(Pass pass, const std::vector<uint32_t>& bucket_ids,
                     const std::vector<uint32_t>& buckets,
                     const std::vector<std::string_view>& fields,
                     Clock::duration staleness, const HitFn* on_hit,
                     Hits* hits, std::vector<Miss>* misses, int64_t* expired) {
  const int64_t oldest_ns = Nanos(Clock::now() - staleness);
  const size_t n = fields.size();
  std::vector<uint64_t> key_hashes(n);
  for (size_t i = 0; i < n; ++i) {
    key_hashes[i] = KeyHash(bucket_ids[buckets[i]], fields[i]);
  }
  // Keys grouped by shard, so each lock is taken once.
  Visit visit{bucket_ids, buckets, fields, {}, {}};
  std::vector<size_t> starts;
  GroupByShard(key_hashes, &visit.order, &starts);
  visit.hashes.resize(n);
  for (size_t p = 0; p < n; ++p) visit.hashes[p] = key_hashes[visit.order[p]];
  Status status;
  for (size_t s = 0; s < shards_.size() && status.ok(); ++s) {
    if (starts[s] == starts[s + 1]) continue;
    status = RunInShard(pass, s, visit, starts[s], starts[s + 1],
                        oldest_ns, on_hit, hits, misses, expired);
  }
  return status;
}

Status RowCache::CopyRun(const std::vector<uint32_t>& bucket_ids,
                         const std::vector<uint32_t>& buckets,
                         const std::vector<std::string_view>& fields,
                         const Hits& hits, size_t begin, const Hits::Run& run,
                         int64_t oldest_ns, const HitFn& on_hit,
                         std::vector<Miss>* misses, int64_t* expired) {
  Shard& shard = *shards_[run.shard];
  std::lock_guard<std::mutex> lock(shard.mu);
  RowCacheShard& rows = shard.rows;
  // Entries still where Classify found them, unless the shard removed some.
  const bool kept = rows.removals() == run.removals;
  for (size_t p = begin; p < run.end; ++p) {
    const size_t i = hits.index[p];
    const RowCacheShard::Entry* entry;
    if (kept) {
      if (p + kEntryAhead < run.end) {
        rows.PrefetchEntryAt(hits.entry[p + kEntryAhead]);
      }
      entry = hits.entry[p];
    } else {
      if (p + kSlotAhead < run.end) {
        rows.PrefetchSlot(hits.hash[p + kSlotAhead]);
      }
      if (p + kEntryAhead < run.end) {
        rows.PrefetchEntry(hits.hash[p + kEntryAhead]);
      }
      entry = rows.FindEntry(hits.hash[p],
                             RowKey{bucket_ids[buckets[i]], fields[i]});
    }
    if (entry != nullptr) {
      const RowCacheShard::Found found = RowCacheShard::Read(entry);
      if (found.read_at_ns >= oldest_ns) {
        TFRA_TABLE_RETURN_IF_ERROR(on_hit(i, found.value));
        continue;
      }
      ++*expired;
    }
    misses->push_back(Miss{i, rows.writes()});
  }
  return Status::Ok();
}

void RowCache::Count(size_t looked_up, size_t missed, int64_t expired) {
  hits_.fetch_add(static_cast<int64_t>(looked_up) -
                      static_cast<int64_t>(missed),
                  std::memory_order_relaxed);
  misses_.fetch_add(static_cast<int64_t>(missed), std::memory_order_relaxed);
  expired_.fetch_add(expired, std::memory_order_relaxed);
}

Status RowCache::Lookup(const std::vector<uint32_t>& bucket_ids,
                        const std::vector<uint32_t>& buckets,
                        const std::vector<std::string_view>& fields,
                        Clock::duration staleness, const HitFn& on_hit,
                        std::vector<Miss>* misses) {
  const size_t missed_before = misses->size();
  int64_t expired = 0;
  Status status = Run(Pass::kLookup, bucket_ids, buckets, fields, staleness,
                      &on_hit, nullptr, misses, &expired);
  Count(fields.size(), misses->size() - missed_before, expired);
  return status;
}

void RowCache::Classify(const std::vector<uint32_t>& bucket_ids,
                        const std::vector<uint32_t>& buckets,
                        const std::vector<std::string_view>& fields,
                        Clock::duration staleness, Hits* hits,
                        std::vector<Miss>* misses) {
  const size_t missed_before = misses->size();
  int64_t expired = 0;
  // Nothing fails without a hit callback.
  static_cast<void>(Run(Pass::kClassify, bucket_ids, buckets, fields,
                        staleness, nullptr, hits, misses, &expired));
  Count(fields.size(), misses->size() - missed_before, expired);
}

Status RowCache::CopyHits(const std::vector<uint32_t>& bucket_ids,
                          const std::vector<uint32_t>& buckets,
                          const std::vector<std::string_view>& fields,
                          const Hits& hits, Clock::duration staleness,
                          const HitFn& on_hit,
                          std::vector<Miss>* misses) {
  const size_t missed_before = misses->size();
  int64_t expired = 0;
  const int64_t oldest_ns = Nanos(Clock::now() - staleness);
  Status status;
  size_t begin = 0;
  for (const Hits::Run& run : hits.runs) {
    status = CopyRun(bucket_ids, buckets, fields, hits, begin, run, oldest_ns,
                     on_hit, misses, &expired);
    if (!status.ok()) break;
    begin = run.end;
  }
  // Counted as hits by Classify: move the keys dropped since to the misses.
  const int64_t late = static_cast<int64_t>(misses->size() - missed_before);
  if (late > 0) {
    hits_.fetch_sub(late, std::memory_order_relaxed);
    misses_.fetch_add(late, std::memory_order_relaxed);
    expired_.fetch_add(expired, std::memory_order_relaxed);
  }
  return status;
}

void RowCache::Insert(uint32_t bucket_id, std::string_view field,
                      std::string_view stored, uint64_t ticket,
                      Clock::time_point read_at) {
  const uint64_t hash = KeyHash(bucket_id, field);
  Shard& shard = ShardOf(hash);
  int64_t evicted = 0;
  {
    std::lock_guard<std::mutex> lock(shard.mu);
    // A write touched this shard after the miss: what was read may be older
    // than what that write left in Redis.
    if (shard.rows.writes() != ticket) return;
    shard.rows.Insert(hash, RowKey{bucket_id, field}, stored, Nanos(read_at),
                      &evicted);
  }
  if (evicted > 0) evictions_.fetch_add(evicted, std::memory_order_relaxed);
}

void RowCache::Insert(const std::vector<Fetched>& rows,
                      Clock::time_point read_at) {
  std::vector<uint64_t> hashes(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    hashes[r] = KeyHash(rows[r].bucket_id, rows[r].field);
  }
  std::vector<size_t> order;
  std::vector<size_t> starts;
  GroupByShard(hashes, &order, &starts);
  const int64_t read_at_ns = Nanos(read_at);
  int64_t evicted = 0;
  for (size_t s = 0; s < shards_.size(); ++s) {
    if (starts[s] == starts[s + 1]) continue;
    Shard& shard = *shards_[s];
    std::lock_guard<std::mutex> lock(shard.mu);
    for (size_t p = starts[s]; p < starts[s + 1]; ++p) {
      if (p + kSlotAhead < starts[s + 1]) {
        shard.rows.PrefetchSlot(hashes[order[p + kSlotAhead]]);
      }
      const Fetched& row = rows[order[p]];
      // As the one-row Insert: a write since the miss keeps the read out.
      if (shard.rows.writes() != row.ticket) continue;
      shard.rows.Insert(hashes[order[p]], RowKey{row.bucket_id, row.field},
                        row.stored, read_at_ns, &evicted);
    }
  }
  if (evicted > 0) evictions_.fetch_add(evicted, std::memory_order_relaxed);
}

void RowCache::Invalidate(const std::vector<uint32_t>& bucket_ids,
                          const std::vector<uint32_t>& buckets,
                          const std::vector<std::string_view>& fields) {
  for (size_t i = 0; i < fields.size(); ++i) {
    const uint32_t id = bucket_ids[buckets[i]];
    const uint64_t hash = KeyHash(id, fields[i]);
    Shard& shard = ShardOf(hash);
    std::lock_guard<std::mutex> lock(shard.mu);
    shard.rows.CountWrite();
    shard.rows.Erase(hash, RowKey{id, fields[i]});
  }
}

void RowCache::InvalidateBuckets(const std::vector<uint32_t>& bucket_ids) {
  for (auto& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard->mu);
    shard->rows.CountWrite();
    shard->rows.EraseWithPrefixes(bucket_ids);
  }
}

RowCacheStats RowCache::stats() const {
  RowCacheStats stats;
  stats.hits = hits_.load(std::memory_order_relaxed);
  stats.misses = misses_.load(std::memory_order_relaxed);
  stats.expired = expired_.load(std::memory_order_relaxed);
  stats.evictions = evictions_.load(std::memory_order_relaxed);
  stats.capacity_bytes = capacity_bytes_;
  for (const auto& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard->mu);
    stats.entries += static_cast<int64_t>(shard->rows.entries());
    stats.bytes += static_cast<int64_t>(shard->rows.bytes());
  }
  return stats;
}

std::shared_ptr<RowCache> ProcessRowCache(int64_t capacity_bytes,
                                          std::string* note) {
  static std::mutex* const mu = new std::mutex;
  static std::shared_ptr<RowCache>* const cache =
      new std::shared_ptr<RowCache>;
  std::lock_guard<std::mutex> lock(*mu);
  if (*cache == nullptr && capacity_bytes > 0) {
    *cache = std::make_shared<RowCache>(capacity_bytes);
  } else if (*cache != nullptr && capacity_bytes > 0 &&
             (*cache)->capacity_bytes() != capacity_bytes && note != nullptr) {
    *note = "the process's read cache already holds up to " +
            std::to_string((*cache)->capacity_bytes()) +
            " bytes (redis_read_cache_bytes of the first table that asked "
            "for it); this table shares it";
  }
  return *cache;
}

}  // namespace redis_table
}  // namespace tfra

// RedisTableStore's use of the read cache (row_cache.h): finds through it,
// and writes dropping what they wrote from it.
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_store.h"

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/key_chunks.h"

namespace tfra {
namespace redis_table {

Status RedisTableStore::FindThroughCache(
    const KeyBatch& keys, const FoundValueFn& on_found,
    redis_client::Executor* executor) const {
  RowCache& cache = *settings_.read_cache;
  const auto staleness = settings_.read_cache_staleness;
  RowCache::Hits hits;
  std::vector<RowCache::Miss> misses;
  cache.Classify(cache_bucket_ids_, keys.buckets, keys.fields, staleness,
                 &hits, &misses);
  // Keys dropped from the cache between Classify and CopyHits.
  std::vector<RowCache::Miss> dropped;
  Status copied;
  Status fetched;
  auto copy = [&] {
    copied = cache.CopyHits(cache_bucket_ids_, keys.buckets, keys.fields,
                            hits, staleness, on_found, &dropped);
  };
  auto fetch = [&] { fetched = FindMisses(keys, misses, on_found, executor); };
  if (misses.empty()) {
    copy();
  } else if (executor == nullptr || hits.index.empty() ||
             keys.size() <= kInlineMaxKeys) {
    fetch();
    copy();
  } else {
    // The hits are copied while the misses' reads are out. At 16k keys on
    // the 2-core host (Redis on it too) this gave 1.2x the keys/s of one
    // pass with ~7 runnable threads, 0.6x with ~8-9 (it costs ~40% more
    // CPU per hit); a quiet host has a core for it.
    executor->ParallelFor(2, [&](size_t unit) { unit == 0 ? fetch() : copy(); });
  }
  TFRA_TABLE_RETURN_IF_ERROR(fetched);
  TFRA_TABLE_RETURN_IF_ERROR(copied);
  return dropped.empty() ? Status::Ok()
                         : FindMisses(keys, dropped, on_found, executor);
}

Status RedisTableStore::FindMisses(const KeyBatch& keys,
                                   const std::vector<RowCache::Miss>& misses,
                                   const FoundValueFn& on_found,
                                   redis_client::Executor* executor) const {
  RowCache& cache = *settings_.read_cache;
  KeyBatch missed;
  missed.fields.reserve(misses.size());
  missed.buckets.reserve(misses.size());
  for (const RowCache::Miss& miss : misses) {
    missed.fields.push_back(keys.fields[miss.index]);
    missed.buckets.push_back(keys.buckets[miss.index]);
  }
  // Taken before the read is sent: an entry is never younger than it says.
  const RowCache::Clock::time_point read_at = RowCache::Clock::now();
  return RunFind(
      missed,
      [&](size_t j, std::string_view stored) -> Status {
        TFRA_TABLE_RETURN_IF_ERROR(on_found(misses[j].index, stored));
        cache.Insert(cache_bucket_ids_[missed.buckets[j]], missed.fields[j],
                     stored, misses[j].ticket, read_at);
        return Status::Ok();
      },
      executor);
}

void RedisTableStore::ForgetCached(const KeyBatch& keys) const {
  if (settings_.read_cache != nullptr) {
    settings_.read_cache->Invalidate(cache_bucket_ids_, keys.buckets,
                                     keys.fields);
  }
}

void RedisTableStore::ForgetCachedRows() const {
  if (settings_.read_cache != nullptr) {
    settings_.read_cache->InvalidateBuckets(cache_bucket_ids_);
  }
}

}  // namespace redis_table
}  // namespace tfra

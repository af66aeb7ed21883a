// RedisTableStore's use of the read cache (row_cache.h): finds through it,
// and writes dropping what they wrote from it.
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_store.h"

#include <cstring>
#include <memory>
#include <string_view>
#include <functional>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/key_chunks.h"

namespace tfra {
namespace redis_table {
namespace {

// The first of a find's misses with each key: an open-addressed table of
// miss positions (one allocation, not one per key; a hash map's nodes cost
// more than the repeated reads they save).
class FirstOfKey {
 public:
  explicit FirstOfKey(size_t misses) {
    size_t size = 16;
    while (size < 2 * misses) size *= 2;
    slots_.assign(size, 0);
  }

  // The first miss before j with miss j's key (bucket and field), else j
  // (remembered as the first).
  size_t Find(const KeyBatch& keys, const std::vector<RowCache::Miss>& misses,
              size_t j) {
    const size_t i = misses[j].index;
    const std::string_view field = keys.fields[i];
    const size_t mask = slots_.size() - 1;
    for (size_t s = Hash(field) & mask;; s = (s + 1) & mask) {
      if (slots_[s] == 0) {
        slots_[s] = j + 1;
        return j;
      }
      const size_t other = misses[slots_[s] - 1].index;
      if (keys.fields[other] == field &&
          keys.buckets[other] == keys.buckets[i]) {
        return slots_[s] - 1;
      }
    }
  }

 private:
  static size_t Hash(std::string_view field) {
    if (field.size() != sizeof(uint64_t)) {
      return std::hash<std::string_view>()(field);
    }
    uint64_t h;  // an int64 key: its bytes, mixed so the low bits vary
    std::memcpy(&h, field.data(), sizeof(h));
    h *= 0x9E3779B97F4A7C15ull;
    return static_cast<size_t>(h ^ (h >> 29));
  }

  std::vector<size_t> slots_;  // miss position + 1; 0: empty
};

}  // namespace

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
  MissedRows missed;
  Status copied;
  Status fetched;
  auto copy = [&] {
    copied = cache.CopyHits(cache_bucket_ids_, keys.buckets, keys.fields,
                            hits, staleness, on_found, &dropped);
  };
  auto fetch = [&] {
    fetched = FindMisses(keys, misses, on_found, executor, &missed);
  };
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
  // Cached only now: inserting while CopyHits ran would have evicted
  // entries it was about to read, sending it back to the index.
  CacheMissed(missed);
  TFRA_TABLE_RETURN_IF_ERROR(fetched);
  TFRA_TABLE_RETURN_IF_ERROR(copied);
  if (dropped.empty()) return Status::Ok();
  MissedRows again;
  Status status = FindMisses(keys, dropped, on_found, executor, &again);
  CacheMissed(again);
  return status;
}

Status RedisTableStore::FindMisses(const KeyBatch& keys,
                                   const std::vector<RowCache::Miss>& misses,
                                   const FoundValueFn& on_found,
                                   redis_client::Executor* executor,
                                   MissedRows* missed) const {
  RowCache& cache = *settings_.read_cache;
  // A key repeated in the batch is read once (a hot key that expired misses
  // at every copy of it): `unique` holds the first miss of each key,
  // `next_same` chains the later ones to it.
  constexpr size_t kNone = ~size_t{0};
  FirstOfKey first_of(misses.size());
  std::vector<size_t> next_same(misses.size(), kNone);
  std::vector<size_t> unique;
  unique.reserve(misses.size());
  KeyBatch keys_missed;
  keys_missed.fields.reserve(misses.size());
  keys_missed.buckets.reserve(misses.size());
  for (size_t j = 0; j < misses.size(); ++j) {
    const size_t i = misses[j].index;
    const size_t first = first_of.Find(keys, misses, j);
    if (first != j) {
      next_same[j] = next_same[first];
      next_same[first] = j;
      continue;
    }
    unique.push_back(j);
    keys_missed.fields.push_back(keys.fields[i]);
    keys_missed.buckets.push_back(keys.buckets[i]);
  }
  const size_t row_bytes = settings_.value_bytes;
  missed->bytes.reset(new char[unique.size() * row_bytes]);
  missed->rows.assign(unique.size(), RowCache::Fetched{});
  // Taken before the read is sent: an entry is never younger than it says.
  missed->read_at = RowCache::Clock::now();
  // Called from several threads at once (one per lane), each u once.
  return RunFind(
      keys_missed,
      [&](size_t u, std::string_view stored) -> Status {
        const size_t j = unique[u];
        for (size_t same = j; same != kNone; same = next_same[same]) {
          TFRA_TABLE_RETURN_IF_ERROR(on_found(misses[same].index, stored));
        }
        const uint32_t bucket_id = cache_bucket_ids_[keys_missed.buckets[u]];
        if (stored.size() != row_bytes || row_bytes == 0) {
          cache.Insert(bucket_id, keys_missed.fields[u], stored,
                       misses[j].ticket, missed->read_at);
          return Status::Ok();
        }
        char* copy = missed->bytes.get() + u * row_bytes;
        std::memcpy(copy, stored.data(), row_bytes);
        missed->rows[u] =
            RowCache::Fetched{bucket_id, keys_missed.fields[u],
                              std::string_view(copy, row_bytes),
                              misses[j].ticket};
        return Status::Ok();
      },
      executor);
}

void RedisTableStore::CacheMissed(const MissedRows& missed) const {
  std::vector<RowCache::Fetched> rows;
  rows.reserve(missed.rows.size());
  for (const RowCache::Fetched& row : missed.rows) {
    if (row.stored.data() != nullptr) rows.push_back(row);
  }
  if (!rows.empty()) settings_.read_cache->Insert(rows, missed.read_at);
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

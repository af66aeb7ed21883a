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

}  // namespace

RowCache::RowCache(int64_t capacity_bytes)
    : capacity_bytes_(capacity_bytes),
      shards_(ShardsFor(capacity_bytes)),
      shard_capacity_(static_cast<size_t>(capacity_bytes) / shards_.size()) {}

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

std::string_view RowCache::MakeKey(uint32_t bucket_id, std::string_view field,
                                   std::string* buffer) {
  buffer->assign(reinterpret_cast<const char*>(&bucket_id), sizeof(bucket_id));
  buffer->append(field);
  return *buffer;
}

RowCache::Shard& RowCache::ShardOf(std::string_view key) {
  return shards_[std::hash<std::string_view>()(key) & (ShardCount() - 1)];
}

void RowCache::EraseLocked(Shard& shard, Lru::iterator it) {
  shard.bytes -= it->charge;
  shard.index.erase(it->key);
  shard.lru.erase(it);
}

Status RowCache::Lookup(const std::vector<uint32_t>& bucket_ids,
                        const std::vector<uint32_t>& buckets,
                        const std::vector<std::string_view>& fields,
                        Clock::duration staleness, const HitFn& on_hit,
                        std::vector<Miss>* misses) {
  const Clock::time_point oldest = Clock::now() - staleness;
  std::string buffer;
  int64_t hits = 0, expired = 0;
  Status status;
  for (size_t i = 0; i < fields.size() && status.ok(); ++i) {
    const std::string_view key =
        MakeKey(bucket_ids[buckets[i]], fields[i], &buffer);
    Shard& shard = ShardOf(key);
    std::lock_guard<std::mutex> lock(shard.mu);
    auto found = shard.index.find(key);
    if (found != shard.index.end() && found->second->read_at >= oldest) {
      shard.lru.splice(shard.lru.begin(), shard.lru, found->second);
      ++hits;
      status = on_hit(i, found->second->value);
      continue;
    }
    if (found != shard.index.end()) ++expired;
    misses->push_back(Miss{i, shard.writes});
  }
  hits_.fetch_add(hits, std::memory_order_relaxed);
  expired_.fetch_add(expired, std::memory_order_relaxed);
  misses_.fetch_add(static_cast<int64_t>(misses->size()),
                    std::memory_order_relaxed);
  return status;
}

void RowCache::Insert(uint32_t bucket_id, std::string_view field,
                      std::string_view stored, uint64_t ticket,
                      Clock::time_point read_at) {
  std::string key;
  MakeKey(bucket_id, field, &key);
  const size_t charge = key.size() + stored.size() + kEntryOverheadBytes;
  if (charge > shard_capacity_) return;
  Shard& shard = ShardOf(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  // A write touched this shard after the miss: what was read may be older
  // than what that write left in Redis.
  if (shard.writes != ticket) return;
  auto found = shard.index.find(key);
  if (found != shard.index.end()) EraseLocked(shard, found->second);
  shard.lru.push_front(Entry{std::move(key), std::string(stored), read_at,
                             charge});
  const Lru::iterator entry = shard.lru.begin();
  shard.index.emplace(entry->key, entry);
  shard.bytes += charge;
  int64_t evicted = 0;
  while (shard.bytes > shard_capacity_) {
    EraseLocked(shard, std::prev(shard.lru.end()));
    ++evicted;
  }
  if (evicted > 0) evictions_.fetch_add(evicted, std::memory_order_relaxed);
}

void RowCache::Invalidate(const std::vector<uint32_t>& bucket_ids,
                          const std::vector<uint32_t>& buckets,
                          const std::vector<std::string_view>& fields) {
  std::string buffer;
  for (size_t i = 0; i < fields.size(); ++i) {
    const std::string_view key =
        MakeKey(bucket_ids[buckets[i]], fields[i], &buffer);
    Shard& shard = ShardOf(key);
    std::lock_guard<std::mutex> lock(shard.mu);
    ++shard.writes;
    auto found = shard.index.find(key);
    if (found != shard.index.end()) EraseLocked(shard, found->second);
  }
}

void RowCache::InvalidateBuckets(const std::vector<uint32_t>& bucket_ids) {
  for (Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mu);
    ++shard.writes;
    for (auto it = shard.lru.begin(); it != shard.lru.end();) {
      uint32_t id;
      std::memcpy(&id, it->key.data(), sizeof(id));
      const auto next = std::next(it);
      if (std::find(bucket_ids.begin(), bucket_ids.end(), id) !=
          bucket_ids.end()) {
        EraseLocked(shard, it);
      }
      it = next;
    }
  }
}

RowCacheStats RowCache::stats() const {
  RowCacheStats stats;
  stats.hits = hits_.load(std::memory_order_relaxed);
  stats.misses = misses_.load(std::memory_order_relaxed);
  stats.expired = expired_.load(std::memory_order_relaxed);
  stats.evictions = evictions_.load(std::memory_order_relaxed);
  stats.capacity_bytes = capacity_bytes_;
  for (const Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mu);
    stats.entries += static_cast<int64_t>(shard.lru.size());
    stats.bytes += static_cast<int64_t>(shard.bytes);
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

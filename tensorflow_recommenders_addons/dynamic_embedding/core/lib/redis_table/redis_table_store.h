// The data operations of one Redis table over a RedisClient: find, insert,
// accum, remove, clear, size and export. It works on bytes (field = key
// bytes, value = encoded row) and bucket indices chosen by the caller, so it
// knows nothing about tensors or dtypes; it never formats command text.
//
// Every batch is grouped by bucket and cut into commands of at most
// keys_sending_size keys; all commands of one call go out together (the
// cluster client sends to the nodes in parallel). Any failed Redis call fails
// the operation with a status naming the table and the node; a find returns
// default values instead only when read_fallback_to_default is set, and then
// every row it could not read is counted (degraded rows, table_metrics.h).
// Every op records its calls, keys, latency and errors there.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_REDIS_TABLE_STORE_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_REDIS_TABLE_STORE_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/accum_script.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/key_batch.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/row_cache.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_metrics.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_status.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/executor.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/redis_client.h"

namespace tfra {
namespace redis_table {

// Called for every key found, possibly from several threads at once, as its
// value is parsed. `stored` is valid during the call only. An index is
// reported once, except when a read is resent after a transport failure
// (cluster); the later call then reports what the resent read found.
using FoundValueFn =
    std::function<Status(size_t key_index, std::string_view stored)>;

// Called once per distinct stored key, from the calling thread.
using ExportEntryFn =
    std::function<Status(std::string_view field, std::string_view stored)>;

// The ways accum can run. kAll: by HMACCUM where a bucket's master loads
// our module (accum_module.h); elsewhere read, add on the client and write
// in WATCH/MULTI/EXEC transactions, falling back to the Lua script per unit
// (accum_transaction.h). kNoModule: never HMACCUM. kScriptOnly: the script
// alone.
enum class AccumPaths { kAll, kNoModule, kScriptOnly };

struct StoreSettings {
  // For messages only: "table 'emb'".
  std::string table_description;
  // The `table` label of the metrics: "<model_tag>:<embedding_name>"; empty
  // means table_description.
  std::string metrics_table;
  // Redis key of bucket i (the runtime buckets, hash tags included).
  std::vector<std::string> bucket_keys;
  // Keys per command; >= 1.
  size_t keys_sending_size = 1024;
  // Bytes of one stored row when fixed (numeric values), 0 when not known
  // (strings): sizes the replies a lookup expects (pipeline windows).
  size_t value_bytes = 0;
  // When true a find that Redis cannot answer (UNAVAILABLE: unreachable,
  // timeouts, an open circuit breaker) returns "not found" for the keys it
  // could not read (the caller fills defaults) and counts them, instead of
  // failing (redis_read_failure_policy "default_values").
  bool read_fallback_to_default = false;
  // Which accum paths the store may take; tables take all, tests pin one.
  AccumPaths accum_paths = AccumPaths::kAll;
  // The process's read cache (row_cache.h), or null. Finds go through it
  // when read_cache_staleness > 0; writes drop their keys from it whenever
  // it is set, so that other tables reading it stay coherent.
  std::shared_ptr<RowCache> read_cache;
  std::chrono::milliseconds read_cache_staleness{0};
  // Tells deployments apart in the cache (see RowCache::BucketId).
  std::string deployment;
};

// Thread-safe: any number of operations may run concurrently.
class RedisTableStore {
 public:
  RedisTableStore(std::shared_ptr<redis_client::RedisClient> client,
                  StoreSettings settings);

  const StoreSettings& settings() const { return settings_; }
  redis_client::RedisClient& client() const { return *client_; }

  // Calls `on_found` for each key present in Redis. Keys not reported are
  // missing (or, with the fallback, unreadable).
  Status Find(const KeyBatch& keys, const FoundValueFn& on_found,
              redis_client::Executor* executor) const;

  // Upserts values[i] for key i.
  Status Insert(const KeyBatch& keys, const std::vector<std::string_view>& values,
                redis_client::Executor* executor) const;

  // Adds deltas[i] to key i where exists[i] and the key is stored; stores
  // deltas[i] where !exists[i] and the key is absent (see accum_script.h).
  Status Accum(const KeyBatch& keys, const std::vector<std::string_view>& deltas,
               const std::vector<uint8_t>& exists, AccumElement element,
               redis_client::Executor* executor) const;

  // Accum through the Lua script only (recorded as an accum).
  Status AccumByScript(const KeyBatch& keys,
                       const std::vector<std::string_view>& deltas,
                       const std::vector<uint8_t>& exists, AccumElement element,
                       redis_client::Executor* executor) const;

  // Deletes the keys; absent keys are ignored.
  Status Remove(const KeyBatch& keys, redis_client::Executor* executor) const;

  // Deletes every bucket of the table.
  Status Clear() const;

  // Number of stored keys (sum of HLEN over the buckets).
  Result<int64_t> Size() const;

  // Streams every stored (field, value) once, bucket by bucket (HSCAN). Keys
  // written during the export may or may not be seen; none is seen twice.
  Status Export(const ExportEntryFn& on_entry) const;

  // Streams one Redis hash, which need not be a bucket of this table (used to
  // move data from other buckets into this table's). Each field once.
  Status ScanHash(std::string_view hash_key, const ExportEntryFn& on_entry) const;

  const TableMetrics& metrics() const { return metrics_; }

  // Drops this table's rows from the read cache, for writes that bypass the
  // store (a RESTORE of DUMP files, re-bucketing).
  void ForgetCachedRows() const;

 private:
  using CommandBuilder = std::function<redis_client::Command(
      std::string_view bucket_key, const std::vector<size_t>& key_order,
      size_t begin, size_t end)>;
  using ReplyHandler = std::function<Status(
      const redis_client::Reply& reply, const std::vector<size_t>& key_order,
      size_t begin, size_t end)>;

  // Groups `keys`, builds one command per chunk, runs them all and hands
  // each reply to `on_reply` (in parallel over chunks through `executor`).
  // With `on_element`, the string elements of the array replies go to it
  // as they are parsed (with the key's index), not into the replies, and
  // `elements_handed_over` (if given) is set to how many went to it.
  Status RunChunked(const KeyBatch& keys, std::string_view what,
                    redis_client::Access access, const CommandBuilder& build,
                    const ReplyHandler& on_reply,
                    redis_client::Executor* executor,
                    const FoundValueFn* on_element = nullptr,
                    size_t* elements_handed_over = nullptr) const;

  // Accum without the read cache's bookkeeping.
  Status AccumUncached(const KeyBatch& keys,
                       const std::vector<std::string_view>& deltas,
                       const std::vector<uint8_t>& exists,
                       AccumElement element,
                       redis_client::Executor* executor) const;
  // Find from Redis alone (degraded rows counted); Find adds the read cache
  // in front of it and the metrics around it.
  Status RunFind(const KeyBatch& keys, const FoundValueFn& on_found,
                 redis_client::Executor* executor) const;
  // Find through the read cache: hits from it, copied while the misses are
  // read from Redis (on two units of `executor`, if any).
  Status FindThroughCache(const KeyBatch& keys, const FoundValueFn& on_found,
                          redis_client::Executor* executor) const;
  // Rows that FindMisses read, to be cached once the hits are copied (the
  // cache's shards then stay as Classify saw them while CopyHits runs).
  struct MissedRows {
    RowCache::Clock::time_point read_at;
    std::unique_ptr<char[]> bytes;  // value_bytes per miss
    std::vector<RowCache::Fetched> rows;  // per miss; stored.data() null:
                                          // absent, or cached already
  };
  // Reads the keys `misses` from Redis into *missed (rows of value_bytes)
  // or the cache (other sizes).
  Status FindMisses(const KeyBatch& keys,
                    const std::vector<RowCache::Miss>& misses,
                    const FoundValueFn& on_found,
                    redis_client::Executor* executor, MissedRows* missed) const;
  // Caches what FindMisses left in `missed`.
  void CacheMissed(const MissedRows& missed) const;
  // Drops `keys` from the read cache, if any: after every write.
  void ForgetCached(const KeyBatch& keys) const;

  // Runs one command per bucket and checks every reply for errors.
  Result<std::vector<redis_client::Reply>> RunPerBucket(
      std::string_view what, redis_client::Access access,
      const std::function<redis_client::Command(std::string_view)>& build) const;

  std::string Context(std::string_view what) const;

  std::shared_ptr<redis_client::RedisClient> client_;
  const StoreSettings settings_;
  // The read cache's id of each bucket (when there is a cache).
  std::vector<uint32_t> cache_bucket_ids_;
  const TableMetrics metrics_;
};

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_REDIS_TABLE_STORE_H_

// RedisTableStore's accum: the module, transaction and script paths
// (accum_module.h, accum_transaction.h, accum_script.h) in the order the
// store tries them. Part of the redis_table_store library (kept apart only
// to keep files short).
#include <algorithm>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/accum_transaction.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_store.h"

namespace tfra {
namespace redis_table {

using redis_client::Access;
using redis_client::Reply;

namespace {

// The keys of `keys` whose `done` flag is 0, with their deltas and flags.
struct AccumRest {
  KeyBatch keys;
  std::vector<std::string_view> deltas;
  std::vector<uint8_t> exists;
};

AccumRest NotDone(const KeyBatch& keys,
                  const std::vector<std::string_view>& deltas,
                  const std::vector<uint8_t>& exists,
                  const std::vector<uint8_t>& done) {
  AccumRest rest;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (done[i]) continue;
    rest.keys.fields.push_back(keys.fields[i]);
    rest.keys.buckets.push_back(keys.buckets[i]);
    rest.deltas.push_back(deltas[i]);
    rest.exists.push_back(exists[i]);
  }
  return rest;
}

}  // namespace

Status RedisTableStore::Accum(const KeyBatch& keys,
                              const std::vector<std::string_view>& deltas,
                              const std::vector<uint8_t>& exists,
                              AccumElement element,
                              redis_client::Executor* executor) const {
  const auto start = TableMetrics::Clock::now();
  Status status = AccumUncached(keys, deltas, exists, element, executor);
  ForgetCached(keys);  // also after a failure: some writes may have run
  return metrics_.Record(TableOp::kAccum, keys.size(), start,
                         std::move(status));
}

Status RedisTableStore::AccumUncached(
    const KeyBatch& keys, const std::vector<std::string_view>& deltas,
    const std::vector<uint8_t>& exists, AccumElement element,
    redis_client::Executor* executor) const {
  if (settings_.accum_paths == AccumPaths::kScriptOnly) {
    return AccumByScript(keys, deltas, exists, element, executor);
  }
  std::vector<uint8_t> committed(keys.size(), 0);
  const AccumTarget target{client_.get(), &settings_.bucket_keys,
                           settings_.keys_sending_size, Context("accum"),
                           settings_.accum_paths == AccumPaths::kAll};
  TFRA_TABLE_RETURN_IF_ERROR(AccumByModuleOrTransactions(
      target, AccumRequest{&keys, &deltas, &exists, element}, executor,
      &committed));
  if (std::find(committed.begin(), committed.end(), 0) == committed.end()) {
    return Status::Ok();
  }
  const AccumRest rest = NotDone(keys, deltas, exists, committed);
  return AccumByScript(rest.keys, rest.deltas, rest.exists, element, executor);
}

Status RedisTableStore::AccumByScript(
    const KeyBatch& keys, const std::vector<std::string_view>& deltas,
    const std::vector<uint8_t>& exists, AccumElement element,
    redis_client::Executor* executor) const {
  // By EVALSHA first. A node without the script cached answers NOSCRIPT and
  // runs nothing; only those chunks go again, by EVAL (which caches it).
  // Chunks that ran are never resent: a delta must be added once.
  auto run = [&](const KeyBatch& batch,
                 const std::vector<std::string_view>& batch_deltas,
                 const std::vector<uint8_t>& batch_exists, bool by_sha,
                 std::vector<uint8_t>* ran) {
    auto build = [&](std::string_view bucket, const std::vector<size_t>& order,
                     size_t begin, size_t end) {
      return AccumCommand(by_sha, bucket, element, batch.fields, batch_deltas,
                          batch_exists, order, begin, end);
    };
    auto on_reply = [ran](const Reply&, const std::vector<size_t>& order,
                          size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) (*ran)[order[i]] = 1;
      return Status::Ok();
    };
    return RunChunked(batch, "accum", Access::kWrite, build, on_reply,
                      executor);
  };
  std::vector<uint8_t> ran(keys.size(), 0);
  Status status = run(keys, deltas, exists, /*by_sha=*/true, &ran);
  if (!IsNoScriptError(status)) return status;
  const AccumRest rest = NotDone(keys, deltas, exists, ran);
  std::vector<uint8_t> rest_ran(rest.keys.size(), 0);
  return run(rest.keys, rest.deltas, rest.exists, /*by_sha=*/false, &rest_ran);
}

}  // namespace redis_table
}  // namespace tfra

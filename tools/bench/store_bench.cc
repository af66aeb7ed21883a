// store_bench: the table's own C++ path without TensorFlow -- the layer
// between raw_hash_bench (plain hiredis) and the TF op (redis_table_bench.py).
//
// It opens the table exactly as the op kernel does (OpenRedisTable with the
// same JSON config and embedding name) and times RedisTableStore Find /
// Insert / Accum on the same key windows as the other two tools, doing the
// kernel's per-key work too: key bytes and bucket per key, rows decoded into
// an output buffer. Prints one JSON line (bench_measure.h), strategy "store".
//
//   store_bench --config=/tmp/bench.json --embedding_name=emb8 --keys=1048576
//       --dim=8 --batch=1024 --op=find|insert|accum [--min_seconds=2]
//       [--min_batches=20] [--max_seconds=8] [--max_batches=100000]
//       [--keys_file=PATH] [--warm_batches=1]
//
// The executor is a pool of persistent helper threads, like TF's worker pool
// the kernel hands to the store (one thread per CPU, at least two).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/bucket_hash.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_opener.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/value_codec.h"
#include "tools/bench/bench_measure.h"
#include "tools/bench/bench_options.h"
#include "tools/bench/helper_thread.h"

namespace tfra {
namespace bench {
namespace {

namespace rt = ::tfra::redis_table;

// ParallelFor over the caller and persistent helper threads. Calls are
// serialized by a mutex (the interface requires thread-safety); a call made
// from inside another one (the read cache's find fetches its misses in one
// unit) runs its units on the calling thread.
class HelperPoolExecutor : public redis_client::Executor {
 public:
  explicit HelperPoolExecutor(size_t helpers) : helpers_(helpers) {}

  void ParallelFor(size_t n, const std::function<void(size_t)>& fn) override {
    static thread_local bool inside = false;
    if (inside || helpers_.empty()) {
      for (size_t i = 0; i < n; ++i) fn(i);
      return;
    }
    std::unique_lock<std::mutex> lock(mu_, std::try_to_lock);
    if (!lock.owns_lock()) {  // a helper's unit calling back in
      for (size_t i = 0; i < n; ++i) fn(i);
      return;
    }
    inside = true;
    const size_t workers = std::min(n, helpers_.size() + 1);
    auto share = [&fn, n, workers](size_t worker) {
      for (size_t i = worker; i < n; i += workers) fn(i);
      return std::string();
    };
    for (size_t w = 1; w < workers; ++w) {
      helpers_[w - 1].Start([&share, w] { return share(w); });
    }
    share(0);
    for (size_t w = 1; w < workers; ++w) helpers_[w - 1].Wait();
    inside = false;
  }

 private:
  std::mutex mu_;
  std::vector<HelperThread> helpers_;
};

// The kernel's work for one op on keys [first, first + batch).
class StoreRunner {
 public:
  StoreRunner(const BenchOptions& options, const rt::OpenedTable& table,
              redis_client::Executor* executor)
      : options_(options), table_(table), executor_(executor),
        rows_(options.batch * options.dim, 0.25f),
        out_(options.batch * options.dim), exists_(options.batch, 1) {}

  std::string LoadKeys() { return LoadBenchKeys(options_, &keys_); }

  std::string Run(int64_t index, int64_t* misses) {
    const int64_t first = FirstKeyOfBatch(options_, index);
    const rt::KeyBatch batch = MakeKeyBatch(first);
    rt::Status status;
    if (options_.op == "find") {
      status = Find(batch, misses);
    } else {
      std::vector<std::string_view> rows;
      rows.reserve(options_.batch);
      for (int64_t r = 0; r < options_.batch; ++r) {
        rows.push_back(rt::PodRowBytes(rows_.data() + r * options_.dim,
                                       options_.dim));
      }
      status = options_.op == "insert"
                   ? table_.store->Insert(batch, rows, executor_)
                   : table_.store->Accum(batch, rows, exists_,
                                         rt::AccumElement::kFloat, executor_);
    }
    return status.ok() ? "" : status.ToString();
  }

 private:
  rt::KeyBatch MakeKeyBatch(int64_t first) const {
    const uint32_t slices = static_cast<uint32_t>(table_.config.storage_slice);
    rt::KeyBatch batch;
    batch.fields.reserve(options_.batch);
    batch.buckets.reserve(options_.batch);
    for (int64_t k = first; k < first + options_.batch; ++k) {
      batch.fields.push_back(rt::KeyBytes(keys_[k]));
      batch.buckets.push_back(rt::KeyBucket(
          keys_[k], slices, table_.config.using_hash_storage_slice));
    }
    return batch;
  }

  rt::Status Find(const rt::KeyBatch& batch, int64_t* misses) {
    std::vector<uint8_t> found(batch.size(), 0);
    rt::Status status = table_.store->Find(
        batch,
        [&](size_t index, std::string_view stored) {
          found[index] = 1;
          return rt::DecodePodRow(stored, options_.dim,
                                  out_.data() + index * options_.dim);
        },
        executor_);
    *misses += std::count(found.begin(), found.end(), 0);
    return status;
  }

  const BenchOptions& options_;
  const rt::OpenedTable& table_;
  redis_client::Executor* executor_;
  std::vector<int64_t> keys_;
  const std::vector<float> rows_;
  std::vector<float> out_;
  const std::vector<uint8_t> exists_;
};

// The read cache's counts (all batches, warm-up included), on stderr.
void PrintCacheStats(const rt::RowCache* cache) {
  if (cache == nullptr) return;
  const rt::RowCacheStats s = cache->stats();
  std::fprintf(stderr,
               "store_bench: read cache hits %lld misses %lld expired %lld "
               "evictions %lld entries %lld bytes %lld of %lld\n",
               static_cast<long long>(s.hits), static_cast<long long>(s.misses),
               static_cast<long long>(s.expired),
               static_cast<long long>(s.evictions),
               static_cast<long long>(s.entries),
               static_cast<long long>(s.bytes),
               static_cast<long long>(s.capacity_bytes));
}

int Main(int argc, char** argv) {
  BenchOptions options;
  std::string error =
      ParseBenchOptions(BenchTool::kStore, argc, argv, &options);
  if (!error.empty()) {
    std::fprintf(stderr, "store_bench: %s\n", error.c_str());
    return 2;
  }
  HelperPoolExecutor executor(
      std::max(2u, std::thread::hardware_concurrency()) - 1);
  rt::TableRequest request;
  request.embedding_name = options.embedding_name;
  request.config_path_attr = options.config;
  request.key_kind = rt::KeyKind::kInt64;
  request.value_bytes = static_cast<size_t>(options.dim) * sizeof(float);
  request.value_type = rt::ElementType::kFloat32;
  request.dim = options.dim;
  auto table = rt::OpenRedisTable(request, rt::ProcessEnvironment(), &executor);
  if (!table.ok()) {
    std::fprintf(stderr, "store_bench: %s\n",
                 table.status().ToString().c_str());
    return 1;
  }
  StoreRunner runner(options, *table.value(), &executor);
  error = runner.LoadKeys();
  if (!error.empty()) {
    std::fprintf(stderr, "store_bench: %s\n", error.c_str());
    return 1;
  }
  Measurement measurement;
  auto run = [&runner](int64_t index, int64_t* misses) {
    return runner.Run(index, misses);
  };
  error = Measure(options, run, &measurement);
  if (!error.empty()) {
    std::fprintf(stderr, "store_bench: %s\n", error.c_str());
    return 1;
  }
  PrintMeasurement("store_bench", options, "store", std::move(measurement));
  PrintCacheStats(table.value()->store->settings().read_cache.get());
  return 0;
}

}  // namespace
}  // namespace bench
}  // namespace tfra

int main(int argc, char** argv) { return tfra::bench::Main(argc, argv); }

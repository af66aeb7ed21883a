// Command-line options shared by raw_hash_bench and store_bench: the same
// keys, batches and stop rule, so the two measure the same work.
#ifndef TOOLS_BENCH_BENCH_OPTIONS_H_
#define TOOLS_BENCH_BENCH_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace tfra {
namespace bench {

// raw_hash_bench: plain HMGET/HSET/HMACCUM; store_bench: RedisTableStore
// calls.
enum class BenchTool { kRawHash, kStore };

// One table bucket: its Redis key and the port of the node serving it.
struct Bucket {
  std::string key;
  int port = 0;
};

struct BenchOptions {
  // raw_hash_bench: where the table's buckets are, in bucket-index order.
  std::string host = "127.0.0.1";
  std::vector<Bucket> buckets;
  // store_bench: the table's JSON config file and embedding name.
  std::string config;
  std::string embedding_name;

  int64_t keys = 0;   // keys 0 .. keys-1 are stored
  int64_t dim = 0;    // float32 elements per row
  int64_t batch = 0;  // keys per batch
  // raw: "hmget" | "hset" | "hmaccum" (needs the HMACCUM module on the
  // server); store: "find" | "insert" | "accum".
  std::string op;
  int64_t keys_per_command = 1024;
  // Batches take their keys from this file of int64 keys (--keys of them)
  // instead of 0, 1, 2, ...; raw: a stored row has value_bytes bytes (0:
  // dim x 4).
  std::string keys_file;
  int64_t value_bytes = 0;
  // A measurement stops after min_batches batches and min_seconds, or
  // after 3 batches once max_seconds have passed, or after max_batches.
  double min_seconds = 2.0;
  int64_t min_batches = 20;
  // Untimed batches before the timed ones (a read cache fills during them).
  int64_t warm_batches = 1;
  double max_seconds = 8.0;
  int64_t max_batches = 100000;
  // raw: any of "serial", "pipelined", "two_clients"; store: "store".
  std::vector<std::string> strategies;
};

// Parses --name=value flags (argv[0] is skipped) for `tool`; returns "" or
// the first error (unknown flag, bad value, missing or inconsistent values).
std::string ParseBenchOptions(BenchTool tool, int argc, const char* const* argv,
                              BenchOptions* options);

// The key at each position: 0 .. keys-1, or the keys file's; "" or an
// error.
std::string LoadBenchKeys(const BenchOptions& options,
                          std::vector<int64_t>* keys);

// First key of batch `index`: batches walk the windows [w*B, (w+1)*B),
// w = index mod (keys / B), as redis_table_bench.py does for the table.
int64_t FirstKeyOfBatch(const BenchOptions& options, int64_t index);

}  // namespace bench
}  // namespace tfra

#endif  // TOOLS_BENCH_BENCH_OPTIONS_H_

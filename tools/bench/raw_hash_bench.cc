// raw_hash_bench: the raw limit the Redis table is measured against.
//
// It moves the keys and bytes one RedisTable batch moves -- int64
// little-endian fields, rows of `dim` float32, bucket = uint32(key) mod the
// bucket count (the table's bucket function for int64 keys), commands of at
// most --keys_per_command fields -- straight through hiredis, with no table
// code in between, and prints one JSON line per strategy:
//   serial       one connection per node, one command at a time;
//   pipelined    one connection per node: all commands of the batch are
//                appended, flushed to every node, then the replies are read;
//   two_clients  the batch's commands alternate between two pipelined
//                clients, each driven by its own thread.
// When every batch is a single command the three are the same method, and
// only the first strategy listed runs (see OneCommandPerBatch).
// Batch j holds keys [w*B, (w+1)*B) with w = j mod (keys / B), the windows
// redis_table_bench.py uses for the table; with --keys_file, the keys at
// those positions of the file (int64 little endian, --keys of them), e.g. a
// skewed stream of lookups. --value_bytes (default dim x 4) is the size of a
// stored row: what hmget expects and hset writes (compact encodings). hmget expects the keys to exist
// and counts absent ones as "nil"; hset overwrites them with a fixed row;
// hmaccum (the HMACCUM module must be loaded) adds that row to the stored
// one of every key (`HMACCUM bucket float f1 row ... fn row <n bytes 1>`),
// so it moves the bytes hset moves, plus n exists bytes per command.
//
//   raw_hash_bench --buckets='bench:emb{3560}@6379' --keys=1048576 --dim=8
//       --batch=1024 --op=hmget|hset|hmaccum [--host=127.0.0.1]
//       [--keys_per_command=1024] [--keys_file=PATH] [--value_bytes=N]
//       [--min_seconds=2] [--min_batches=20] [--max_seconds=8]
//       [--max_batches=100000]
//       [--strategies=serial,pipelined,two_clients]
//
// --buckets lists the table's bucket keys in bucket-index order, each with
// the port of the node serving it.
#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tools/bench/bench_measure.h"
#include "tools/bench/bench_options.h"
#include "tools/bench/helper_thread.h"

namespace tfra {
namespace bench {
namespace {

using Options = BenchOptions;

struct ContextFree {
  void operator()(redisContext* context) const { redisFree(context); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextFree>;

struct ReplyFree {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyFree>;

// One connection per node. Not thread-safe: one thread drives a client.
class Client {
 public:
  std::string Connect(const std::string& host, const std::vector<int>& ports) {
    const timeval connect_timeout{5, 0};
    const timeval io_timeout{60, 0};
    for (int port : ports) {
      ContextPtr context(
          redisConnectWithTimeout(host.c_str(), port, connect_timeout));
      if (context == nullptr) return "out of memory connecting";
      if (context->err != 0) {
        return "connect " + host + ":" + std::to_string(port) + ": " +
               context->errstr;
      }
      if (redisSetTimeout(context.get(), io_timeout) != REDIS_OK) {
        return "set timeout on port " + std::to_string(port);
      }
      nodes_.push_back(std::move(context));
    }
    return "";
  }
  redisContext* node(size_t index) const { return nodes_[index].get(); }
  size_t size() const { return nodes_.size(); }

 private:
  std::vector<ContextPtr> nodes_;
};

// One HMGET, HSET or HMACCUM; argv borrows the workload's key and row bytes.
struct Command {
  size_t node = 0;
  size_t fields = 0;
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
};

// The keys, the row and the command plan of every batch.
class Workload {
 public:
  // `keys`: the key at each position (0, 1, 2, ... without a keys file).
  Workload(const Options& options, std::vector<size_t> bucket_node,
           std::vector<int64_t> keys)
      : options_(options),
        bucket_node_(std::move(bucket_node)),
        keys_(std::move(keys)),
        row_(RowBytes(options), '\0'),
        exists_(options.keys_per_command, '\x01') {
    const float half = 0.5f;  // float rows of 0.5 (cut to value_bytes)
    for (size_t i = 0; i + sizeof(half) <= row_.size(); i += sizeof(half)) {
      std::memcpy(&row_[i], &half, sizeof(half));
    }
  }

  static size_t RowBytes(const Options& options) {
    return options.value_bytes > 0 ? static_cast<size_t>(options.value_bytes)
                                   : static_cast<size_t>(options.dim) * 4;
  }

  std::vector<Command> Plan(int64_t batch_index) const {
    const int64_t first = FirstKeyOfBatch(options_, batch_index);
    const uint32_t buckets = static_cast<uint32_t>(options_.buckets.size());
    // Positions into keys_, per bucket; the field is the key's 8
    // little-endian bytes (x86-64 and arm64 are LE).
    std::vector<std::vector<int64_t>> per_bucket(buckets);
    for (int64_t p = first; p < first + options_.batch; ++p) {
      per_bucket[static_cast<uint32_t>(keys_[p]) % buckets].push_back(p);
    }
    std::vector<Command> commands;
    for (uint32_t b = 0; b < buckets; ++b) {
      const auto& keys = per_bucket[b];
      for (size_t begin = 0; begin < keys.size();
           begin += options_.keys_per_command) {
        const size_t end =
            std::min(keys.size(), begin + options_.keys_per_command);
        commands.push_back(MakeCommand(b, keys.data() + begin, end - begin));
      }
    }
    return commands;
  }

  // "" when `reply` is the right answer to `command`; counts absent keys.
  std::string Check(const redisReply* reply, const Command& command,
                    int64_t* nils) const {
    if (reply->type == REDIS_REPLY_ERROR) {
      return "server error: " + std::string(reply->str, reply->len);
    }
    if (options_.op == "hset") {
      return reply->type == REDIS_REPLY_INTEGER ? ""
                                                : "HSET: not an integer reply";
    }
    if (options_.op == "hmaccum") {
      // HMACCUM counts its pairs; it cannot tell absent keys apart.
      return reply->type == REDIS_REPLY_INTEGER &&
                     reply->integer == static_cast<long long>(command.fields)
                 ? ""
                 : "HMACCUM: not an integer reply of " +
                       std::to_string(command.fields);
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != command.fields) {
      return "HMGET: not an array of " + std::to_string(command.fields);
    }
    const size_t row_bytes = row_.size();
    for (size_t i = 0; i < reply->elements; ++i) {
      const redisReply* value = reply->element[i];
      if (value->type == REDIS_REPLY_NIL) {
        ++*nils;
      } else if (value->type != REDIS_REPLY_STRING || value->len != row_bytes) {
        return "HMGET: value of " + std::to_string(value->len) +
               " bytes, expected " + std::to_string(row_bytes);
      }
    }
    return "";
  }

 private:
  Command MakeCommand(uint32_t bucket, const int64_t* keys,
                      size_t count) const {
    const bool hmaccum = options_.op == "hmaccum";
    const bool with_rows = hmaccum || options_.op == "hset";
    Command command;
    command.node = bucket_node_[bucket];
    command.fields = count;
    const std::string& bucket_key = options_.buckets[bucket].key;
    const char* name = hmaccum ? "HMACCUM" : with_rows ? "HSET" : "HMGET";
    command.argv = {name, bucket_key.data()};
    command.lengths = {std::strlen(name), bucket_key.size()};
    if (hmaccum) {
      command.argv.push_back("float");
      command.lengths.push_back(5);
    }
    for (size_t i = 0; i < count; ++i) {
      command.argv.push_back(reinterpret_cast<const char*>(&keys_[keys[i]]));
      command.lengths.push_back(sizeof(int64_t));
      if (with_rows) {
        command.argv.push_back(row_.data());
        command.lengths.push_back(row_.size());
      }
    }
    if (hmaccum) {  // every key is stored: add
      command.argv.push_back(exists_.data());
      command.lengths.push_back(count);
    }
    return command;
  }

  const Options& options_;
  const std::vector<size_t> bucket_node_;
  const std::vector<int64_t> keys_;
  std::string row_;
  const std::string exists_;  // keys_per_command exists bytes of 1
};

// Reads the next reply of `context` and checks it against `command`.
std::string ReadReply(redisContext* context, const Command& command,
                      const Workload& workload, int64_t* nils) {
  void* raw = nullptr;
  if (redisGetReply(context, &raw) != REDIS_OK || raw == nullptr) {
    return std::string("read reply: ") + context->errstr;
  }
  ReplyPtr reply(static_cast<redisReply*>(raw));
  return workload.Check(reply.get(), command, nils);
}

std::string Append(redisContext* context, const Command& command) {
  if (redisAppendCommandArgv(context, static_cast<int>(command.argv.size()),
                             const_cast<const char**>(command.argv.data()),
                             command.lengths.data()) != REDIS_OK) {
    return std::string("append: ") + context->errstr;
  }
  return "";
}

std::string RunSerial(const Client& client,
                      const std::vector<const Command*>& commands,
                      const Workload& workload, int64_t* nils) {
  for (const Command* command : commands) {
    redisContext* node = client.node(command->node);
    std::string error = Append(node, *command);
    if (error.empty()) error = ReadReply(node, *command, workload, nils);
    if (!error.empty()) return error;
  }
  return "";
}

std::string RunPipelined(const Client& client,
                         const std::vector<const Command*>& commands,
                         const Workload& workload, int64_t* nils) {
  for (const Command* command : commands) {
    std::string error = Append(client.node(command->node), *command);
    if (!error.empty()) return error;
  }
  // Send to every node before waiting for any, so the nodes work in parallel.
  for (size_t n = 0; n < client.size(); ++n) {
    int done = 0;
    while (done == 0) {
      if (redisBufferWrite(client.node(n), &done) != REDIS_OK) {
        return std::string("write: ") + client.node(n)->errstr;
      }
    }
  }
  for (const Command* command : commands) {
    std::string error =
        ReadReply(client.node(command->node), *command, workload, nils);
    if (!error.empty()) return error;
  }
  return "";
}

// Commands first, first + step, first + 2 * step, ...
std::vector<const Command*> Every(const std::vector<Command>& commands,
                                  size_t first, size_t step) {
  std::vector<const Command*> picked;
  for (size_t i = first; i < commands.size(); i += step) {
    picked.push_back(&commands[i]);
  }
  return picked;
}

// Whether every batch is one command: then serial, pipelined and
// two_clients send the same command on one connection and wait for it the
// same way (two_clients' helper gets no command), so they are one method
// measured thrice. Reporting the best of those three runs would set the
// table against the luckiest of three samples of one distribution (a 1k-key
// batch on one server); only the first strategy listed runs then.
bool OneCommandPerBatch(const Options& options, const Workload& workload) {
  const int64_t windows = options.keys / options.batch;
  for (int64_t index = 0; index < windows; ++index) {
    if (workload.Plan(index).size() != 1) return false;
  }
  return true;
}

// The runner of one strategy; clients[1] and the helper serve two_clients.
BatchRunner RunnerFor(const std::string& strategy, const Workload& workload,
                      const Client* clients, HelperThread* helper) {
  if (strategy == "serial" || strategy == "pipelined") {
    const bool serial = strategy == "serial";
    return [&workload, clients, serial](int64_t index, int64_t* nils) {
      const std::vector<Command> commands = workload.Plan(index);
      const auto all = Every(commands, 0, 1);
      return serial ? RunSerial(clients[0], all, workload, nils)
                    : RunPipelined(clients[0], all, workload, nils);
    };
  }
  return [&workload, clients, helper](int64_t index, int64_t* nils) {
    const std::vector<Command> commands = workload.Plan(index);
    const auto second_half = Every(commands, 1, 2);
    int64_t second_nils = 0;
    helper->Start([&] {
      return RunPipelined(clients[1], second_half, workload, &second_nils);
    });
    std::string error =
        RunPipelined(clients[0], Every(commands, 0, 2), workload, nils);
    const std::string second_error = helper->Wait();
    *nils += second_nils;
    return error.empty() ? second_error : error;
  };
}

int Main(int argc, char** argv) {
  Options options;
  std::string error =
      ParseBenchOptions(BenchTool::kRawHash, argc, argv, &options);
  if (!error.empty()) {
    std::fprintf(stderr, "raw_hash_bench: %s\n", error.c_str());
    return 2;
  }
  // Nodes in order of first appearance; bucket -> node index.
  std::vector<int> ports;
  std::vector<size_t> bucket_node;
  for (const Bucket& bucket : options.buckets) {
    auto it = std::find(ports.begin(), ports.end(), bucket.port);
    bucket_node.push_back(it - ports.begin());
    if (it == ports.end()) ports.push_back(bucket.port);
  }
  Client clients[2];
  for (int c = 0; c < 2 && error.empty(); ++c) {  // clients[1]: two_clients
    error = clients[c].Connect(options.host, ports);
  }
  std::vector<int64_t> keys;
  if (error.empty()) error = LoadBenchKeys(options, &keys);
  const Workload workload(options, bucket_node, std::move(keys));
  if (error.empty() && options.strategies.size() > 1 &&
      OneCommandPerBatch(options, workload)) {
    options.strategies.resize(1);
  }
  HelperThread helper;
  for (const std::string& strategy : options.strategies) {
    if (!error.empty()) break;
    Measurement measurement;
    error = Measure(options, RunnerFor(strategy, workload, clients, &helper),
                    &measurement);
    if (error.empty()) {
      PrintMeasurement("raw_hash_bench", options, strategy,
                       std::move(measurement));
    }
  }
  if (!error.empty()) {
    std::fprintf(stderr, "raw_hash_bench: %s\n", error.c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace bench
}  // namespace tfra

int main(int argc, char** argv) { return tfra::bench::Main(argc, argv); }

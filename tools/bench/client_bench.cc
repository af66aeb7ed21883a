// Micro-benchmark of the Redis client (issue #3): how much pipelining buys
// over one round trip per key, for reads (HMGET) and writes (HSET) of
// fixed-size values, and how close pipelined reads come to the server's own
// load generator, `redis-benchmark -P 16`, run against the same private
// standalone server in the same run (loopback only).
//
//   bazel run //tools/bench:client_bench -- [--keys=N] [--value_bytes=D]
//       [--buckets=K] [--batch_keys=B] [--fields_per_command=1,16,256,...]
//       [--seconds=S] [--rounds=N] [--requests=R] [--pipeline=P]
//
// Keys are fields spread over K hash-tagged hashes like a table's buckets.
// One pipelined call moves B keys: per bucket, commands of F fields each, all
// through RedisClient::RunPipelines; every value read is checked for its size.
// One-by-one sends one HGET/HSET per key through RedisClient::Run. Each figure
// is the best of N windows of S seconds, the methods taking turns within each
// round (the machine is shared, and load comes in bursts).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_factory.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/testing/child_process.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/testing/redis_servers.h"

namespace tfra {
namespace redis_client {
namespace {

struct Flags {
  int keys = 100000;
  int value_bytes = 256;
  int buckets = 8;
  int batch_keys = 8192;
  std::vector<int> fields_per_command = {1, 16, 64, 256, 1024};
  double seconds = 1.0;
  int rounds = 3;
  int requests = 500000;  // redis-benchmark -n
  int pipeline = 16;      // redis-benchmark -P
};

bool ParseInts(const char* text, std::vector<int>* out) {
  out->clear();
  for (const char* p = text; *p != '\0';) {
    char* end = nullptr;
    const long value = std::strtol(p, &end, 10);
    if (end == p || value <= 0) return false;
    out->push_back(static_cast<int>(value));
    p = *end == ',' ? end + 1 : end;
    if (*end != ',' && *end != '\0') return false;
  }
  return !out->empty();
}

bool ParseFlag(const char* arg, Flags* flags) {
  auto value = [arg](const char* name) -> const char* {
    const size_t n = std::strlen(name);
    return std::strncmp(arg, name, n) == 0 ? arg + n : nullptr;
  };
  auto positive = [](const char* v, int* out) {
    return (*out = std::atoi(v)) > 0;
  };
  if (const char* v = value("--keys=")) return positive(v, &flags->keys);
  if (const char* v = value("--value_bytes="))
    return positive(v, &flags->value_bytes);
  if (const char* v = value("--buckets=")) return positive(v, &flags->buckets);
  if (const char* v = value("--batch_keys="))
    return positive(v, &flags->batch_keys);
  if (const char* v = value("--fields_per_command="))
    return ParseInts(v, &flags->fields_per_command);
  if (const char* v = value("--seconds="))
    return (flags->seconds = std::atof(v)) > 0;
  if (const char* v = value("--rounds=")) return positive(v, &flags->rounds);
  if (const char* v = value("--requests="))
    return positive(v, &flags->requests);
  if (const char* v = value("--pipeline=")) return positive(v, &flags->pipeline);
  return false;
}

// Bucket names, fields and the value live here; commands borrow them, as the
// table's commands borrow tensor memory.
struct Data {
  std::vector<std::string> buckets;
  std::vector<std::string> fields;
  std::string value;
};

Data MakeData(const Flags& flags) {
  Data data;
  for (int b = 0; b < flags.buckets; ++b)
    data.buckets.push_back("bench{" + std::to_string(b) + "}");
  for (int k = 0; k < flags.keys; ++k)
    data.fields.push_back("key:" + std::to_string(k));
  data.value.assign(flags.value_bytes, 'v');
  return data;
}

// One unit of work: moves some keys and returns how many, or an error.
using Step = std::function<Result<int>()>;

// Keys/s of `step` run repeatedly for `seconds`.
Result<double> Window(const Step& step, double seconds) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  double elapsed = 0;
  long long keys = 0;
  while (elapsed < seconds) {
    Result<int> moved = step();
    if (!moved.ok()) return moved.status();
    keys += *moved;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  }
  return keys / elapsed;
}

// A named method and its best keys/s so far.
struct Method {
  std::string name;
  Step step;
  double best = 0;
};

// Each round gives every method one window in turn, so a burst of load from
// other processes hits all methods alike; each keeps its best window.
Status MeasureRounds(std::vector<Method>& methods, int rounds, double seconds) {
  for (int round = 0; round < rounds; ++round) {
    for (Method& method : methods) {
      Result<double> rate = Window(method.step, seconds);
      if (!rate.ok()) return rate.status().WithContext(method.name);
      method.best = std::max(method.best, *rate);
    }
  }
  return Status::Ok();
}

Access AccessOf(bool write) { return write ? Access::kWrite : Access::kRead; }

// Each call moves the next `count` keys (one HGET/HSET per key).
Step OneByOne(RedisClient& client, const Data& data, bool write, int count) {
  auto next = std::make_shared<size_t>(0);
  return [&client, &data, write, count, next]() -> Result<int> {
    for (int i = 0; i < count; ++i) {
      const size_t k = (*next)++ % data.fields.size();
      const std::string& bucket = data.buckets[k % data.buckets.size()];
      const Command command =
          write ? Command{"HSET", bucket, data.fields[k], data.value}
                : Command{"HGET", bucket, data.fields[k]};
      Result<Reply> reply = client.Run(bucket, command, AccessOf(write));
      if (!reply.ok()) return reply.status();
      TFRA_REDIS_RETURN_IF_ERROR(reply->ToStatus());
      if (!write && reply->text().size() != data.value.size())
        return Status(ErrorCode::kProtocol, "HGET: value of a wrong size");
    }
    return count;
  };
}

// Commands for keys [begin, begin + count) (cyclic): one RoutedCommands per
// bucket, each key in the bucket `k mod K`, `fields` fields per command.
std::vector<RoutedCommands> BuildBatches(const Data& data, size_t begin,
                                         int count, int fields, bool write) {
  std::vector<RoutedCommands> batches(data.buckets.size());
  std::vector<int> in_command(data.buckets.size(), fields);
  for (size_t b = 0; b < batches.size(); ++b)
    batches[b].routing_key = data.buckets[b];
  for (int i = 0; i < count; ++i) {
    const size_t k = (begin + i) % data.fields.size();
    const size_t b = k % data.buckets.size();
    if (in_command[b] == fields) {
      batches[b].commands.push_back(
          Command{write ? "HSET" : "HMGET", data.buckets[b]});
      in_command[b] = 0;
    }
    Command& command = batches[b].commands.back();
    command.Add(data.fields[k]);
    if (write) command.Add(data.value);
    ++in_command[b];
  }
  return batches;
}

// Checks every reply: HSET counts, HMGET values of the expected size.
Status CheckReplies(const std::vector<std::vector<Reply>>& replies,
                    size_t value_bytes, bool write) {
  for (const std::vector<Reply>& bucket : replies) {
    for (const Reply& reply : bucket) {
      TFRA_REDIS_RETURN_IF_ERROR(reply.ToStatus());
      if (write) continue;
      Result<size_t> size = reply.ArraySize();
      if (!size.ok()) return size.status();
      for (size_t i = 0; i < *size; ++i) {
        if (reply.element(i).text().size() != value_bytes)
          return Status(ErrorCode::kProtocol, "HMGET: value of a wrong size");
      }
    }
  }
  return Status::Ok();
}

// Each call moves the next `count` keys in one RunPipelines call.
Step Pipelined(RedisClient& client, const Data& data, bool write, int count,
               int fields) {
  auto next = std::make_shared<size_t>(0);
  return [&client, &data, write, count, fields, next]() -> Result<int> {
    const std::vector<RoutedCommands> batches =
        BuildBatches(data, *next, count, fields, write);
    *next += count;
    Result<std::vector<std::vector<Reply>>> replies =
        client.RunPipelines(batches, AccessOf(write), nullptr);
    if (!replies.ok()) return replies.status();
    TFRA_REDIS_RETURN_IF_ERROR(
        CheckReplies(*replies, data.value.size(), write));
    return count;
  };
}

// redis-benchmark's requests/s for SET and GET (0 where absent).
struct ServerBench {
  double set = 0;
  double get = 0;
};

// Runs redis-benchmark --csv against `port` and reads its SET and GET rows:
// "SET","336134.44",...
bool RunRedisBenchmark(const Flags& flags, int port, ServerBench* out,
                       std::string* error) {
  const std::vector<std::string> argv = {
      "redis-benchmark", "-h", "127.0.0.1", "-p", std::to_string(port),
      "-P", std::to_string(flags.pipeline), "-t", "set,get", "-d",
      std::to_string(flags.value_bytes), "-n", std::to_string(flags.requests),
      "-r", std::to_string(flags.keys), "--csv"};
  std::unique_ptr<testing::ChildProcess> child =
      testing::ChildProcess::Spawn(argv, error);
  if (child == nullptr) return false;
  std::string line;
  while (out->get == 0 && child->ReadLine(std::chrono::seconds(300), &line,
                                          error)) {
    double* target = line.rfind("\"SET\",", 0) == 0   ? &out->set
                     : line.rfind("\"GET\",", 0) == 0 ? &out->get
                                                      : nullptr;
    if (target != nullptr) *target = std::atof(line.c_str() + 7);
  }
  child->CloseAndWait(std::chrono::seconds(30), error);
  if (out->get > 0 && out->set > 0) return true;
  if (error->empty()) *error = "no SET/GET rows in redis-benchmark's output";
  return false;
}

// What MeasureOp found for one operation, in keys/s.
struct Figures {
  double one_by_one = 0;
  double best_pipelined = 0;
  int best_fields = 0;
};

// One-by-one and pipelined at every command size, interleaved; prints a row
// each and returns the figures (all 0 after an error, which is printed).
Figures MeasureOp(RedisClient& client, const Data& data, const Flags& flags,
                  bool write) {
  const std::string one = write ? "HSET" : "HGET";
  const std::string many = write ? "HSET" : "HMGET";
  std::vector<Method> methods;
  methods.push_back({"one-by-one " + one, OneByOne(client, data, write, 256)});
  for (int fields : flags.fields_per_command) {
    methods.push_back(
        {"pipelined " + many + ", " + std::to_string(fields) + " field(s)/cmd",
         Pipelined(client, data, write, flags.batch_keys, fields)});
  }
  Figures figures;
  const Status status = MeasureRounds(methods, flags.rounds, flags.seconds);
  if (!status.ok()) {
    std::printf("%s failed: %s\n", many.c_str(), status.ToString().c_str());
    return figures;
  }
  figures.one_by_one = methods[0].best;
  std::printf("%-34s %12.0f keys/s\n", methods[0].name.c_str(),
              figures.one_by_one);
  for (size_t i = 1; i < methods.size(); ++i) {
    std::printf("%-34s %12.0f keys/s  %6.1fx one-by-one\n",
                methods[i].name.c_str(), methods[i].best,
                methods[i].best / figures.one_by_one);
    if (methods[i].best > figures.best_pipelined) {
      figures.best_pipelined = methods[i].best;
      figures.best_fields = flags.fields_per_command[i - 1];
    }
  }
  return figures;
}

void PrintRatios(const char* op, const Figures& figures, double server_rate,
                 const char* server_op) {
  const double vs_one =
      figures.one_by_one > 0 ? figures.best_pipelined / figures.one_by_one : 0;
  const double vs_server =
      server_rate > 0 ? figures.best_pipelined / server_rate : 0;
  std::printf(
      "%s: pipelined (%d fields/cmd) / one-by-one = %.1fx; "
      "pipelined keys/s / redis-benchmark %s req/s = %.2f\n",
      op, figures.best_fields, vs_one, server_op, vs_server);
}

// Runs redis-benchmark on `port`, then prints its figures, the ratios and
// the done-when verdict. False when redis-benchmark failed.
bool CompareWithRedisBenchmark(const Flags& flags, int port,
                               const Figures& hset, const Figures& hmget) {
  ServerBench server;
  std::string error;
  if (!RunRedisBenchmark(flags, port, &server, &error)) {
    std::fprintf(stderr, "redis-benchmark: %s\n", error.c_str());
    return false;
  }
  std::printf(
      "redis-benchmark -P %d -d %d -n %d -r %d (50 clients): SET %.0f req/s, "
      "GET %.0f req/s\n",
      flags.pipeline, flags.value_bytes, flags.requests, flags.keys,
      server.set, server.get);
  PrintRatios("HSET ", hset, server.set, "SET");
  PrintRatios("HMGET", hmget, server.get, "GET");
  const bool met = hmget.best_pipelined >= 10 * hmget.one_by_one &&
                   hmget.best_pipelined >= 0.8 * server.get;
  std::printf("done-when (reads >= 10x one-by-one and >= 0.80 of GET): %s\n",
              met ? "met" : "NOT met");
  return true;
}

int Run(const Flags& flags) {
  std::string error;
  std::unique_ptr<testing::RedisServers> servers = testing::RedisServers::Start(
      Mode::kStandalone, testing::StartOptions(), &error);
  if (servers == nullptr) {
    std::fprintf(stderr, "cannot start a server: %s\n", error.c_str());
    return 1;
  }
  const int port = servers->nodes().front().port;
  ClientOptions options;
  options.mode = Mode::kStandalone;
  options.endpoints = {{servers->host(), port}};
  Result<std::unique_ptr<RedisClient>> client = CreateClient(options);
  if (!client.ok()) {
    std::fprintf(stderr, "%s\n", client.status().ToString().c_str());
    return 1;
  }
  const Data data = MakeData(flags);
  std::printf(
      "client_bench: standalone %s:%d, %d keys in %d hashes, %d-byte values, "
      "%d keys per pipelined call, best of %d rounds x %.1f s\n",
      servers->host().c_str(), port, flags.keys, flags.buckets,
      flags.value_bytes, flags.batch_keys, flags.rounds, flags.seconds);
  const Figures hset = MeasureOp(**client, data, flags, /*write=*/true);
  // Every key exists before the reads, whatever the timed writes covered.
  Result<int> loaded =
      Pipelined(**client, data, /*write=*/true, flags.keys, 256)();
  if (!loaded.ok()) {
    std::fprintf(stderr, "load: %s\n", loaded.status().ToString().c_str());
    return 1;
  }
  const Figures hmget = MeasureOp(**client, data, flags, /*write=*/false);
  const bool all_ran = hset.best_pipelined > 0 && hmget.best_pipelined > 0 &&
                       hset.one_by_one > 0 && hmget.one_by_one > 0;
  if (!CompareWithRedisBenchmark(flags, port, hset, hmget)) return 1;
  return all_ran ? 0 : 1;
}

}  // namespace
}  // namespace redis_client
}  // namespace tfra

int main(int argc, char** argv) {
  tfra::redis_client::Flags flags;
  for (int i = 1; i < argc; ++i) {
    if (!tfra::redis_client::ParseFlag(argv[i], &flags)) {
      std::fprintf(stderr,
                   "bad flag %s\nusage: %s [--keys=N] [--value_bytes=D] "
                   "[--buckets=K] [--batch_keys=B] [--fields_per_command=F,..]"
                   " [--seconds=S] [--rounds=N] [--requests=R]"
                   " [--pipeline=P]\n",
                   argv[i], argv[0]);
      return 2;
    }
  }
  return tfra::redis_client::Run(flags);
}

// Micro-benchmark of the Redis client: how much pipelining buys over one
// round trip per key, for reads (HMGET) and writes (HSET), against a private
// server started through the launcher (loopback only).
//
//   client_bench [--mode=standalone|sentinel|cluster] [--keys=N]
//                [--batch=B] [--value_bytes=D] [--buckets=K]
//
// Prints one line per method: keys/s and the wall time. Keys are spread over
// K hash-tagged buckets like a table's; a batch of B keys becomes one HMGET
// (or HSET) per bucket, all buckets' commands sent through RunPipelines.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_factory.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/testing/redis_servers.h"

namespace tfra {
namespace redis_client {
namespace {

struct Flags {
  std::string mode = "standalone";
  int keys = 20000;
  int batch = 1024;
  int value_bytes = 64;
  int buckets = 8;
};

bool ParseFlag(const char* arg, Flags* flags) {
  auto value = [arg](const char* name) -> const char* {
    const size_t n = std::strlen(name);
    return std::strncmp(arg, name, n) == 0 ? arg + n : nullptr;
  };
  if (const char* v = value("--mode=")) return (flags->mode = v), true;
  if (const char* v = value("--keys=")) return (flags->keys = std::atoi(v)) > 0;
  if (const char* v = value("--batch="))
    return (flags->batch = std::atoi(v)) > 0;
  if (const char* v = value("--value_bytes="))
    return (flags->value_bytes = std::atoi(v)) > 0;
  if (const char* v = value("--buckets="))
    return (flags->buckets = std::atoi(v)) > 0;
  return false;
}

// Fields and bucket names live here so commands can borrow them.
struct Data {
  std::vector<std::string> buckets;
  std::vector<std::string> fields;
  std::string value;
  const std::string& BucketOf(int key) const {
    return buckets[key % buckets.size()];
  }
};

// Runs `body` once and prints keys/s; returns false if it failed.
bool Measure(const char* name, int keys, const std::function<Status()>& body) {
  const auto start = std::chrono::steady_clock::now();
  const Status status = body();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (!status.ok()) {
    std::printf("%-28s failed: %s\n", name, status.ToString().c_str());
    return false;
  }
  std::printf("%-28s %12.0f keys/s  (%d keys, %.1f ms)\n", name, keys / seconds,
              keys, seconds * 1000);
  return true;
}

Status OneByOne(RedisClient& client, const Data& data, bool write) {
  for (size_t k = 0; k < data.fields.size(); ++k) {
    const std::string& bucket = data.BucketOf(static_cast<int>(k));
    const Command command =
        write ? Command{"HSET", bucket, data.fields[k], data.value}
              : Command{"HGET", bucket, data.fields[k]};
    Result<Reply> reply = client.Run(bucket, command, Access::kWrite);
    if (!reply.ok()) return reply.status();
    TFRA_REDIS_RETURN_IF_ERROR(reply->ToStatus());
  }
  return Status::Ok();
}

// One command per bucket per batch, all buckets through RunPipelines.
Status Batched(RedisClient& client, const Data& data, int batch, bool write,
               Executor* executor) {
  const int keys = static_cast<int>(data.fields.size());
  for (int begin = 0; begin < keys; begin += batch) {
    std::vector<BucketBatch> batches(data.buckets.size());
    for (size_t b = 0; b < data.buckets.size(); ++b) {
      batches[b].routing_key = data.buckets[b];
      batches[b].commands.push_back(
          Command{write ? "HSET" : "HMGET", data.buckets[b]});
    }
    for (int k = begin; k < keys && k < begin + batch; ++k) {
      Command& command = batches[k % data.buckets.size()].commands[0];
      command.Add(data.fields[k]);
      if (write) command.Add(data.value);
    }
    Result<std::vector<std::vector<Reply>>> replies =
        client.RunPipelines(batches, Access::kWrite, executor);
    if (!replies.ok()) return replies.status();
    for (const auto& bucket_replies : *replies) {
      for (const Reply& reply : bucket_replies)
        TFRA_REDIS_RETURN_IF_ERROR(reply.ToStatus());
    }
  }
  return Status::Ok();
}

ClientOptions OptionsFor(const testing::RedisServers& servers) {
  ClientOptions options;
  options.endpoints.clear();
  switch (servers.mode()) {
    case testing::Mode::kSentinel:
      options.mode = Mode::kSentinel;
      options.sentinel.master_name = servers.master_name();
      for (const auto& sentinel : servers.sentinels()) {
        options.endpoints.push_back({servers.host(), sentinel.port});
      }
      return options;
    case testing::Mode::kCluster:
      options.mode = Mode::kCluster;
      break;
    case testing::Mode::kStandalone:
      options.mode = Mode::kStandalone;
      break;
  }
  options.endpoints.push_back({servers.host(), servers.nodes()[0].port});
  return options;
}

int Run(const Flags& flags) {
  testing::Mode mode = testing::Mode::kStandalone;
  if (flags.mode == "cluster") mode = testing::Mode::kCluster;
  if (flags.mode == "sentinel") mode = testing::Mode::kSentinel;
  std::string error;
  std::unique_ptr<testing::RedisServers> servers =
      testing::RedisServers::Start(mode, testing::StartOptions(), &error);
  if (servers == nullptr) {
    std::fprintf(stderr, "cannot start %s servers: %s\n", flags.mode.c_str(),
                 error.c_str());
    return 1;
  }
  const ClientOptions options = OptionsFor(*servers);
  Result<std::unique_ptr<RedisClient>> client = CreateClient(options);
  if (!client.ok()) {
    std::fprintf(stderr, "%s\n", client.status().ToString().c_str());
    return 1;
  }
  Data data;
  for (int b = 0; b < flags.buckets; ++b) {
    data.buckets.push_back("bench{" + std::to_string(b) + "}");
  }
  for (int k = 0; k < flags.keys; ++k)
    data.fields.push_back("key" + std::to_string(k));
  data.value.assign(flags.value_bytes, 'v');
  ThreadPerTaskExecutor executor;
  std::printf("mode=%s keys=%d batch=%d value_bytes=%d buckets=%d\n",
              flags.mode.c_str(), flags.keys, flags.batch, flags.value_bytes,
              flags.buckets);
  RedisClient& c = **client;
  const bool ok =
      Measure("one-by-one HSET", flags.keys,
              [&] { return OneByOne(c, data, true); }) &&
      Measure("one-by-one HGET", flags.keys,
              [&] { return OneByOne(c, data, false); }) &&
      Measure("batched HSET", flags.keys,
              [&] { return Batched(c, data, flags.batch, true, &executor); }) &&
      Measure("batched HMGET", flags.keys,
              [&] { return Batched(c, data, flags.batch, false, &executor); });
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace redis_client
}  // namespace tfra

int main(int argc, char** argv) {
  tfra::redis_client::Flags flags;
  for (int i = 1; i < argc; ++i) {
    if (!tfra::redis_client::ParseFlag(argv[i], &flags)) {
      std::fprintf(
          stderr,
          "bad flag %s\nusage: %s [--mode=standalone|sentinel|cluster] "
          "[--keys=N] [--batch=B] [--value_bytes=D] [--buckets=K]\n",
          argv[i], argv[0]);
      return 2;
    }
  }
  return tfra::redis_client::Run(flags);
}

// Faults against real servers: a server killed and restarted, a cluster
// master killed, a Sentinel failover, an unreachable port and a black-hole
// (SIGSTOPped) server. Each test owns its deployment, since it breaks it.
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_factory.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_test_util.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/cluster_client.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/hash_slot.h"

namespace tfra {
namespace redis_client {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using test_util::RedisServers;
using test_util::ServerMode;
using test_util::TestKey;

using Clock = std::chrono::steady_clock;

std::unique_ptr<RedisClient> MakeClient(const ClientOptions& options) {
  Result<std::unique_ptr<RedisClient>> client = CreateClient(options);
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return client.ok() ? std::move(client).value() : nullptr;
}

// HSET then WAIT for one replica, on one connection: the write survives a
// failover. `replicas` is 0 for a standalone server.
Status WriteReplicated(RedisClient& client, const std::string& key,
                       const std::string& value, int replicas) {
  const std::string wanted = std::to_string(replicas);
  const std::vector<Command> commands = {Command{"HSET", key, "f", value},
                                         Command{"WAIT", wanted, "5000"}};
  Result<std::vector<Reply>> replies =
      client.RunPipeline(key, commands, Access::kWrite);
  if (!replies.ok()) return replies.status();
  TFRA_REDIS_RETURN_IF_ERROR((*replies)[0].ToStatus());
  Result<int64_t> acknowledged = (*replies)[1].AsInteger();
  if (!acknowledged.ok()) return acknowledged.status();
  if (*acknowledged < replicas) {
    return Status(ErrorCode::kUnavailable, "write not replicated");
  }
  return Status::Ok();
}

Result<std::string> ReadField(RedisClient& client, const std::string& key) {
  Result<Reply> reply =
      client.Run(key, Command{"HGET", key, "f"}, Access::kWrite);
  if (!reply.ok()) return reply.status();
  TFRA_REDIS_RETURN_IF_ERROR(reply->ToStatus());
  Result<std::string_view> text = reply->AsString();
  if (!text.ok()) return text.status();
  return std::string(*text);
}

TEST(StandaloneFaultTest, KilledServerFailsClearlyThenReconnectsAfterRestart) {
  auto servers = test_util::StartServers(ServerMode::kStandalone);
  ASSERT_NE(servers, nullptr);
  std::unique_ptr<RedisClient> client =
      MakeClient(test_util::OptionsFor(*servers));
  ASSERT_NE(client, nullptr);
  const std::string key = TestKey("k");
  ASSERT_TRUE(WriteReplicated(*client, key, "v", 0).ok());
  const int port = servers->nodes()[0].port;
  std::string error;
  ASSERT_TRUE(servers->Kill(port, &error)) << error;

  // The pooled connection finds the server gone...
  Result<std::string> first = ReadField(*client, key);
  ASSERT_FALSE(first.ok());
  EXPECT_TRUE(first.status().IsTransient()) << first.status().ToString();
  EXPECT_NE(first.status().message().find(std::to_string(port)),
            std::string::npos)
      << first.status().message();
  // ...and a new connection is refused while it is down.
  Result<std::string> second = ReadField(*client, key);
  EXPECT_EQ(second.status().code(), ErrorCode::kIo)
      << second.status().ToString();
  EXPECT_NE(second.status().message().find("connect"), std::string::npos);

  ASSERT_TRUE(servers->Restart(port, &error)) << error;
  // No manual reconnect: the very next call opens a new connection. The
  // server has no persistence, so the hash is gone but the call succeeds.
  Result<Reply> after = client->Run(key, Exists(key), Access::kWrite);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(*after->AsInteger(), 0);
}

TEST(StandaloneFaultTest, RestartBetweenCallsCostsOneFailedCall) {
  auto servers = test_util::StartServers(ServerMode::kStandalone);
  ASSERT_NE(servers, nullptr);
  std::unique_ptr<RedisClient> client =
      MakeClient(test_util::OptionsFor(*servers));
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Ping().ok());
  std::string error;
  ASSERT_TRUE(servers->Restart(servers->nodes()[0].port, &error)) << error;
  const Status stale =
      client->Ping();  // the idle connection died with the server
  EXPECT_TRUE(stale.code() == ErrorCode::kClosed ||
              stale.code() == ErrorCode::kIo)
      << stale.ToString();
  EXPECT_TRUE(client->Ping().ok());
}

TEST(ClusterFaultTest, KilledMasterIsReplacedWithinTheRetryBudget) {
  auto servers = test_util::StartServers(ServerMode::kCluster);
  ASSERT_NE(servers, nullptr);
  ASSERT_TRUE(test_util::WaitForClusterReplicas(*servers, seconds(60)));
  ClientOptions options = test_util::OptionsFor(*servers);
  // Budget > the launcher's cluster-node-timeout (2 s) plus the election.
  options.cluster.max_attempts = 30;
  options.cluster.max_backoff = milliseconds(500);
  std::unique_ptr<RedisClient> client = MakeClient(options);
  ASSERT_NE(client, nullptr);
  const std::string key = TestKey("survivor");
  ASSERT_TRUE(WriteReplicated(*client, key, "before", 1).ok());
  auto* cluster = static_cast<ClusterClient*>(client.get());
  const Endpoint master =
      cluster->router().CurrentMap().value()->Find(HashSlot(key))->master;
  std::string error;
  ASSERT_TRUE(servers->Kill(master.port, &error)) << error;

  const auto start = Clock::now();
  Result<std::string> read =
      ReadField(*client, key);  // one call, retried inside
  const auto took = Clock::now() - start;
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, "before");
  const Endpoint promoted =
      cluster->router().CurrentMap().value()->Find(HashSlot(key))->master;
  EXPECT_NE(promoted, master);
  std::cout << "failover absorbed in "
            << std::chrono::duration_cast<milliseconds>(took).count()
            << " ms\n";
  EXPECT_TRUE(WriteReplicated(*client, key, "after", 0).ok());
  EXPECT_EQ(*ReadField(*client, key), "after");
}

TEST(SentinelFaultTest, CallsReachTheNewMasterAfterAFailover) {
  auto servers = test_util::StartServers(ServerMode::kSentinel);
  ASSERT_NE(servers, nullptr);
  std::unique_ptr<RedisClient> client =
      MakeClient(test_util::OptionsFor(*servers));
  ASSERT_NE(client, nullptr);
  const std::string key = TestKey("survivor");
  ASSERT_TRUE(WriteReplicated(*client, key, "before", 1).ok());
  std::string error;
  const int old_master = servers->MasterPort(&error);
  ASSERT_GT(old_master, 0) << error;
  ASSERT_TRUE(servers->Kill(old_master, &error)) << error;

  Status last;
  const bool recovered = test_util::WaitFor(
      [&] {
        Result<std::string> read = ReadField(*client, key);
        last = read.status();
        // While the failover runs, calls fail with a transient error; never
        // with a wrong answer.
        EXPECT_TRUE(read.ok() ? *read == "before" : last.IsTransient())
            << last.ToString();
        return read.ok();
      },
      seconds(60));
  ASSERT_TRUE(recovered) << "last error: " << last.ToString();
  // The client follows the first Sentinel that answers; the launcher asks
  // for a majority, which may take a moment longer to agree.
  EXPECT_TRUE(test_util::WaitFor(
      [&] { return servers->MasterPort(&error) != old_master; }, seconds(30)))
      << error;
  EXPECT_TRUE(WriteReplicated(*client, key, "after", 0).ok());
  EXPECT_EQ(*ReadField(*client, key), "after");
}

TEST(UnreachableFaultTest, NothingListeningFailsFastInEveryMode) {
  for (Mode mode : {Mode::kStandalone, Mode::kSentinel, Mode::kCluster}) {
    ClientOptions options;
    options.mode = mode;
    options.endpoints = {{"127.0.0.1", test_util::UnusedPort()}};
    options.cluster.max_attempts = 3;
    std::unique_ptr<RedisClient> client = MakeClient(options);
    ASSERT_NE(client, nullptr);
    const auto start = Clock::now();
    Result<Reply> reply = client->Run("k", Ping(), Access::kWrite);
    EXPECT_LT(Clock::now() - start, seconds(2)) << ModeName(mode);
    ASSERT_FALSE(reply.ok()) << ModeName(mode);
    EXPECT_TRUE(reply.status().IsTransient()) << reply.status().ToString();
    EXPECT_NE(reply.status().message().find(options.endpoints[0].ToString()),
              std::string::npos)
        << reply.status().message();
  }
}

// A SIGSTOPped server accepts connections (the kernel completes the
// handshake) but never answers: only the socket timeout ends the wait.
TEST(BlackHoleFaultTest, PausedServerTimesOutInsteadOfHanging) {
  auto servers = test_util::StartServers(ServerMode::kStandalone);
  ASSERT_NE(servers, nullptr);
  ClientOptions options = test_util::OptionsFor(*servers);
  options.connection.socket_timeout = milliseconds(300);
  std::unique_ptr<RedisClient> client = MakeClient(options);
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Ping().ok());
  const int port = servers->nodes()[0].port;
  std::string error;
  ASSERT_TRUE(servers->Pause(port, &error)) << error;
  for (int call = 0; call < 2; ++call) {  // pooled, then fresh connection
    const auto start = Clock::now();
    const Status status = client->Ping();
    const auto took = Clock::now() - start;
    EXPECT_EQ(status.code(), ErrorCode::kTimeout) << status.ToString();
    EXPECT_LT(took, milliseconds(1500));
  }
  ASSERT_TRUE(servers->Resume(port, &error)) << error;
  EXPECT_TRUE(
      test_util::WaitFor([&] { return client->Ping().ok(); }, seconds(10)));
}

TEST(BlackHoleFaultTest, PausedClusterMasterFailsWithinTheBudget) {
  auto servers = test_util::StartServers(ServerMode::kCluster);
  ASSERT_NE(servers, nullptr);
  ClientOptions options = test_util::OptionsFor(*servers);
  options.connection.socket_timeout = milliseconds(300);
  options.connection.connect_timeout = milliseconds(300);
  options.cluster.max_attempts = 3;
  std::unique_ptr<ClusterClient> client =
      std::make_unique<ClusterClient>(options);
  const std::string key = TestKey("paused");
  ASSERT_TRUE(client->Run(key, Ping(), Access::kWrite).ok());
  const int port =
      client->router().CurrentMap().value()->Find(HashSlot(key))->master.port;
  std::string error;
  ASSERT_TRUE(servers->Pause(port, &error)) << error;
  const auto start = Clock::now();
  Result<Reply> reply = client->Run(key, Command{"GET", key}, Access::kWrite);
  const auto took = Clock::now() - start;
  ASSERT_TRUE(servers->Resume(port, &error)) << error;
  ASSERT_FALSE(reply.ok());
  EXPECT_NE(reply.status().message().find("gave up after 3 attempt(s)"),
            std::string::npos)
      << reply.status().message();
  EXPECT_NE(reply.status().message().find(std::to_string(port)),
            std::string::npos);
  // 3 attempts x 300 ms, plus refreshes that may wait on the paused node.
  EXPECT_LT(took, seconds(5));
}

}  // namespace
}  // namespace redis_client
}  // namespace tfra

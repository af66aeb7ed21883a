// Faults against real servers: a server killed and restarted, a cluster
// master killed, a Sentinel failover, an unreachable port and a black-hole
// (SIGSTOPped) server. Each test owns its deployment, since it breaks it.
#include <chrono>
#include <functional>
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
using test_util::DeploymentSpec;
using test_util::MakeClient;
using test_util::RedisServers;
using test_util::TestKey;

using Clock = std::chrono::steady_clock;

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

// The master `client`'s current slot map names for `key`.
Endpoint MasterOf(ClusterClient& client, const std::string& key) {
  return client.router().topology().CurrentMap().value()->Find(HashSlot(key))
      ->master;
}

// Every test breaks its servers, so each starts a deployment of its own.
class FaultTest : public ::testing::Test {
 protected:
  // Starts `spec` and client_ over OptionsFor it, changed by `adjust`; call
  // through ASSERT_NO_FATAL_FAILURE.
  void Start(const DeploymentSpec& spec,
             const std::function<void(ClientOptions*)>& adjust = nullptr) {
    servers_ = test_util::StartServers(spec);
    ASSERT_NE(servers_, nullptr);
    ClientOptions options = test_util::OptionsFor(*servers_);
    if (adjust != nullptr) adjust(&options);
    client_ = MakeClient(options);
    ASSERT_NE(client_, nullptr);
  }

  std::unique_ptr<RedisServers> servers_;
  std::unique_ptr<RedisClient> client_;
};

using StandaloneFaultTest = FaultTest;
using ClusterFaultTest = FaultTest;
using SentinelFaultTest = FaultTest;
using BlackHoleFaultTest = FaultTest;

TEST_F(StandaloneFaultTest,
       KilledServerFailsClearlyThenReconnectsAfterRestart) {
  ASSERT_NO_FATAL_FAILURE(Start({Mode::kStandalone}));
  const std::string key = TestKey("k");
  ASSERT_TRUE(WriteReplicated(*client_, key, "v", 0).ok());
  const int port = servers_->nodes()[0].port;
  std::string error;
  ASSERT_TRUE(servers_->Kill(port, &error)) << error;

  // The pooled connection finds the server gone...
  Result<std::string> first = ReadField(*client_, key);
  ASSERT_FALSE(first.ok());
  EXPECT_TRUE(first.status().IsTransient()) << first.status().ToString();
  EXPECT_NE(first.status().message().find(std::to_string(port)),
            std::string::npos)
      << first.status().message();
  // ...and a new connection is refused while it is down.
  Result<std::string> second = ReadField(*client_, key);
  EXPECT_EQ(second.status().code(), ErrorCode::kIo)
      << second.status().ToString();
  EXPECT_NE(second.status().message().find("connect"), std::string::npos);

  ASSERT_TRUE(servers_->Restart(port, &error)) << error;
  // No manual reconnect: the very next call opens a new connection. The
  // server has no persistence, so the hash is gone but the call succeeds.
  Result<Reply> after = client_->Run(key, Exists(key), Access::kWrite);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(*after->AsInteger(), 0);
}

TEST_F(StandaloneFaultTest, RestartBetweenCallsCostsOneFailedCall) {
  ASSERT_NO_FATAL_FAILURE(Start({Mode::kStandalone}));
  ASSERT_TRUE(client_->Ping().ok());
  std::string error;
  ASSERT_TRUE(servers_->Restart(servers_->nodes()[0].port, &error)) << error;
  const Status stale =
      client_->Ping();  // the idle connection died with the server
  EXPECT_TRUE(stale.code() == ErrorCode::kClosed ||
              stale.code() == ErrorCode::kIo)
      << stale.ToString();
  EXPECT_TRUE(client_->Ping().ok());
}

TEST_F(ClusterFaultTest, KilledMasterIsReplacedWithinTheRetryBudget) {
  DeploymentSpec spec{Mode::kCluster};
  spec.wait_for_replicas = true;
  ASSERT_NO_FATAL_FAILURE(Start(spec, [](ClientOptions* options) {
    // Budget > the launcher's cluster-node-timeout (2 s) plus the election.
    options->cluster.max_attempts = 30;
    options->cluster.max_backoff = milliseconds(500);
  }));
  const std::string key = TestKey("survivor");
  ASSERT_TRUE(WriteReplicated(*client_, key, "before", 1).ok());
  auto* cluster = static_cast<ClusterClient*>(client_.get());
  const Endpoint master = MasterOf(*cluster, key);
  std::string error;
  ASSERT_TRUE(servers_->Kill(master.port, &error)) << error;

  const auto start = Clock::now();
  Result<std::string> read =
      ReadField(*client_, key);  // one call, retried inside
  const auto took = Clock::now() - start;
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, "before");
  const Endpoint promoted = MasterOf(*cluster, key);
  EXPECT_NE(promoted, master);
  std::cout << "failover absorbed in "
            << std::chrono::duration_cast<milliseconds>(took).count()
            << " ms\n";
  EXPECT_TRUE(WriteReplicated(*client_, key, "after", 0).ok());
  EXPECT_EQ(*ReadField(*client_, key), "after");
}

TEST_F(SentinelFaultTest, CallsReachTheNewMasterAfterAFailover) {
  ASSERT_NO_FATAL_FAILURE(Start({Mode::kSentinel}));
  const std::string key = TestKey("survivor");
  ASSERT_TRUE(WriteReplicated(*client_, key, "before", 1).ok());
  std::string error;
  const int old_master = servers_->MasterPort(&error);
  ASSERT_GT(old_master, 0) << error;
  ASSERT_TRUE(servers_->Kill(old_master, &error)) << error;

  Status last;
  const bool recovered = test_util::WaitFor(
      [&] {
        Result<std::string> read = ReadField(*client_, key);
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
      [&] { return servers_->MasterPort(&error) != old_master; }, seconds(30)))
      << error;
  EXPECT_TRUE(WriteReplicated(*client_, key, "after", 0).ok());
  EXPECT_EQ(*ReadField(*client_, key), "after");
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
TEST_F(BlackHoleFaultTest, PausedServerTimesOutInsteadOfHanging) {
  ASSERT_NO_FATAL_FAILURE(
      Start({Mode::kStandalone}, [](ClientOptions* options) {
        options->connection.socket_timeout = milliseconds(300);
      }));
  ASSERT_TRUE(client_->Ping().ok());
  const int port = servers_->nodes()[0].port;
  std::string error;
  ASSERT_TRUE(servers_->Pause(port, &error)) << error;
  for (int call = 0; call < 2; ++call) {  // pooled, then fresh connection
    const auto start = Clock::now();
    const Status status = client_->Ping();
    const auto took = Clock::now() - start;
    EXPECT_EQ(status.code(), ErrorCode::kTimeout) << status.ToString();
    EXPECT_LT(took, milliseconds(1500));
  }
  ASSERT_TRUE(servers_->Resume(port, &error)) << error;
  EXPECT_TRUE(
      test_util::WaitFor([&] { return client_->Ping().ok(); }, seconds(10)));
}

TEST_F(BlackHoleFaultTest, PausedClusterMasterFailsWithinTheBudget) {
  ASSERT_NO_FATAL_FAILURE(
      Start({Mode::kCluster}, [](ClientOptions* options) {
        options->connection.socket_timeout = milliseconds(300);
        options->connection.connect_timeout = milliseconds(300);
        options->cluster.max_attempts = 3;
      }));
  auto* client = static_cast<ClusterClient*>(client_.get());
  const std::string key = TestKey("paused");
  ASSERT_TRUE(client->Run(key, Ping(), Access::kWrite).ok());
  const int port = MasterOf(*client, key).port;
  std::string error;
  ASSERT_TRUE(servers_->Pause(port, &error)) << error;
  const auto start = Clock::now();
  Result<Reply> reply = client->Run(key, Command{"GET", key}, Access::kWrite);
  const auto took = Clock::now() - start;
  ASSERT_TRUE(servers_->Resume(port, &error)) << error;
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

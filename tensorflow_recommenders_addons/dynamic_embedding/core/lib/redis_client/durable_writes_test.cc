// Durable writes (DurableWriteOptions, replica_ack.h) and the circuit
// breaker (BreakerClient) against real deployments. Each test breaks its
// servers, so each starts a deployment of its own.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_test_util.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/cluster_client.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/hash_slot.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/transaction.h"

namespace tfra {
namespace redis_client {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using test_util::DeploymentSpec;
using test_util::TestKey;
using Clock = std::chrono::steady_clock;

class DeploymentTest : public ::testing::Test {
 protected:
  void Start(const DeploymentSpec& spec,
             const std::function<void(ClientOptions*)>& adjust) {
    servers_ = test_util::StartServers(spec);
    ASSERT_NE(servers_, nullptr);
    ClientOptions options = test_util::OptionsFor(*servers_);
    adjust(&options);
    client_ = test_util::MakeClient(options);
    ASSERT_NE(client_, nullptr);
  }

  Status Write(const std::string& key, const std::string& value) {
    auto replies = client_->RunPipeline(
        key, {Hset(key, {"f"}, {value})}, Access::kWrite);
    return replies.ok() ? (*replies)[0].ToStatus() : replies.status();
  }

  Result<std::string> Read(const std::string& key) {
    auto reply = client_->Run(key, Command{"HGET", key, "f"}, Access::kWrite);
    if (!reply.ok()) return reply.status();
    TFRA_REDIS_RETURN_IF_ERROR(reply->ToStatus());
    if (reply->is_nil()) return std::string("<missing>");
    return std::string(*reply->AsString());
  }

  // Kills `master_port` right after `keys` were written (each acknowledged by
  // a replica) and checks that every one reads back from the master that
  // replaced it.
  void ExpectAcknowledgedWritesSurvive(int master_port,
                                       const std::vector<std::string>& keys) {
    std::string error;
    ASSERT_TRUE(servers_->Kill(master_port, &error)) << error;
    Status last;
    ASSERT_TRUE(test_util::WaitFor(
        [&] {
          Result<std::string> read = Read(keys.front());
          last = read.status();
          return read.ok();
        },
        seconds(60)))
        << "no new master: " << last.ToString();
    for (const std::string& key : keys) {
      Result<std::string> read = Read(key);
      ASSERT_TRUE(read.ok()) << read.status().ToString();
      EXPECT_EQ(*read, "acknowledged") << key;
    }
  }

  std::unique_ptr<test_util::RedisServers> servers_;
  std::unique_ptr<RedisClient> client_;
};

using DurableWritesTest = DeploymentTest;
using BreakerTest = DeploymentTest;

void RequireOneReplica(ClientOptions* options) {
  options->durable_writes.replicas = 1;
  options->durable_writes.timeout = milliseconds(500);
  options->connection.socket_timeout = milliseconds(2000);
  options->cluster.max_attempts = 40;
  options->cluster.max_backoff = milliseconds(500);
}

// One replica within `timeout`, on a deployment that has none.
std::function<void(ClientOptions*)> OneReplicaWithin(milliseconds timeout) {
  return [timeout](ClientOptions* options) {
    options->durable_writes.replicas = 1;
    options->durable_writes.timeout = timeout;
  };
}

TEST_F(DurableWritesTest, SentinelAcknowledgedWritesAreOnThePromotedReplica) {
  ASSERT_NO_FATAL_FAILURE(Start({Mode::kSentinel}, RequireOneReplica));
  std::vector<std::string> keys;
  for (int i = 0; i < 200; ++i) {
    keys.push_back(TestKey("k" + std::to_string(i)));
    const Status written = Write(keys.back(), "acknowledged");
    ASSERT_TRUE(written.ok()) << written.ToString();
  }
  std::string error;
  const int master = servers_->MasterPort(&error);
  ASSERT_GT(master, 0) << error;
  ExpectAcknowledgedWritesSurvive(master, keys);
}

TEST_F(DurableWritesTest, ClusterAcknowledgedWritesAreOnThePromotedReplica) {
  DeploymentSpec spec{Mode::kCluster};
  spec.wait_for_replicas = true;
  ASSERT_NO_FATAL_FAILURE(Start(spec, RequireOneReplica));
  // One slot, so one master holds every key.
  std::vector<std::string> keys;
  for (int i = 0; i < 200; ++i) {
    keys.push_back("{durable}" + std::to_string(i));
    const Status written = Write(keys.back(), "acknowledged");
    ASSERT_TRUE(written.ok()) << written.ToString();
  }
  auto* cluster = static_cast<ClusterClient*>(client_.get());
  const int master = cluster->router()
                         .topology()
                         .CurrentMap()
                         .value()
                         ->Find(HashSlot(keys.front()))
                         ->master.port;
  ASSERT_GT(master, 0);
  ExpectAcknowledgedWritesSurvive(master, keys);
}

TEST_F(DurableWritesTest, TooFewReplicasFailTheWriteSayingItIsOnTheMaster) {
  ASSERT_NO_FATAL_FAILURE(
      Start({Mode::kStandalone}, OneReplicaWithin(milliseconds(200))));
  const std::string key = TestKey("lonely");
  const auto start = Clock::now();
  const Status written = Write(key, "v");
  EXPECT_GE(Clock::now() - start, milliseconds(190));
  EXPECT_EQ(written.code(), ErrorCode::kNotReplicated) << written.ToString();
  EXPECT_NE(written.message().find("only 0 of 1 replica(s) within 200 ms"),
            std::string::npos)
      << written.message();
  EXPECT_EQ(*Read(key), "v");
  // Reads do not wait.
  const auto read_start = Clock::now();
  EXPECT_TRUE(Read(key).ok());
  EXPECT_LT(Clock::now() - read_start, milliseconds(150));
  // Nor does a connection used for a transaction without the WAIT passing.
  const Status transaction = client_->WithMasterConnection(
      key, [&](Connection& connection) {
        auto reply = connection.Run(Hset(key, {"f"}, {"w"}));
        return reply.ok() ? reply->ToStatus() : reply.status();
      });
  EXPECT_EQ(transaction.code(), ErrorCode::kNotReplicated)
      << transaction.ToString();
}

// WAIT vouches for writes that ran. A pipeline whose writes were all refused
// before running (here NOSCRIPT, as on a master a failover left without the
// script) reports the refusal, so the caller can resend by EVAL; before,
// the failed WAIT outranked it as "applied on the master".
TEST_F(DurableWritesTest, ARefusedWriteReportsTheRefusalNotAFailedWait) {
  ASSERT_NO_FATAL_FAILURE(
      Start({Mode::kStandalone}, OneReplicaWithin(milliseconds(100))));
  const std::string key = TestKey("refused");
  const std::string unknown_sha(40, '0');
  auto replies = client_->RunPipeline(
      key, {Command{"EVALSHA", unknown_sha, "1", key}}, Access::kWrite);
  ASSERT_TRUE(replies.ok()) << replies.status().ToString();
  const Status refused = (*replies)[0].ToStatus();
  EXPECT_EQ(refused.code(), ErrorCode::kReplyError) << refused.ToString();
  EXPECT_EQ(refused.message().find("server replied NOSCRIPT"), 0u)
      << refused.ToString();
  // One write that ran makes the WAIT count again.
  replies = client_->RunPipeline(
      key,
      {Command{"EVALSHA", unknown_sha, "1", key}, Hset(key, {"f"}, {"v"})},
      Access::kWrite);
  EXPECT_EQ(replies.status().code(), ErrorCode::kNotReplicated)
      << replies.status().ToString();
}

// A transaction that wrote nothing (it only read, or EXEC was discarded
// because a watched key changed) waits for no replica and fails nothing.
TEST_F(DurableWritesTest, ATransactionThatWroteNothingWaitsForNothing) {
  ASSERT_NO_FATAL_FAILURE(
      Start({Mode::kStandalone}, OneReplicaWithin(milliseconds(300))));
  const std::string key = TestKey("watched");
  const auto start = Clock::now();
  Status status = client_->WithMasterConnection(key, [&](Connection& c) {
    auto reply = c.Run(Command{"HGET", key, "f"});
    return reply.ok() ? reply->ToStatus() : reply.status();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
  EXPECT_LT(Clock::now() - start, milliseconds(250));
  Result<CommitOutcome> outcome = Status::ResultWithoutValue();
  status = client_->WithMasterConnection(key, [&](Connection& c) {
    TFRA_REDIS_RETURN_IF_ERROR(
        WatchAndRead(c, key, {}, [](size_t, Reply&&) {}));
    // Another client changes the watched key: EXEC writes nothing.
    EXPECT_EQ(Write(key, "other").code(), ErrorCode::kNotReplicated);
    const Command hset = Hset(key, {"f"}, {"mine"});
    outcome = CommitWatched(c, {&hset});
    return outcome.status();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(*outcome, CommitOutcome::kNotRun);
  EXPECT_EQ(*Read(key), "other");
}

// A write sent to a master that was demoted (here: a client configured with
// the replica's address) is refused with READONLY, and WAIT on a replica
// fails. The refusal is the answer: nothing was applied.
TEST_F(DurableWritesTest, AWriteToADemotedMasterIsRefusedNotUnreplicated) {
  ASSERT_NO_FATAL_FAILURE(Start({Mode::kSentinel}, RequireOneReplica));
  const std::vector<int> replicas = servers_->NodePorts("replica");
  ASSERT_EQ(replicas.size(), 1u);
  ClientOptions options = test_util::OptionsFor(*servers_);
  RequireOneReplica(&options);
  options.mode = Mode::kStandalone;
  options.endpoints = {Endpoint{servers_->host(), replicas[0]}};
  client_ = test_util::MakeClient(options);
  ASSERT_NE(client_, nullptr);
  const Status written = Write(TestKey("demoted"), "v");
  EXPECT_EQ(written.code(), ErrorCode::kUnavailable) << written.ToString();
  EXPECT_NE(written.message().find("READONLY"), std::string::npos)
      << written.ToString();
}

TEST_F(DurableWritesTest, APausedReplicaFailsWritesUntilItCatchesUp) {
  ASSERT_NO_FATAL_FAILURE(Start({Mode::kSentinel}, RequireOneReplica));
  const std::string key = TestKey("k");
  ASSERT_TRUE(Write(key, "one").ok());
  const std::vector<int> replicas = servers_->NodePorts("replica");
  ASSERT_EQ(replicas.size(), 1u);
  std::string error;
  ASSERT_TRUE(servers_->Pause(replicas[0], &error)) << error;
  const Status written = Write(key, "two");
  ASSERT_TRUE(servers_->Resume(replicas[0], &error)) << error;
  EXPECT_EQ(written.code(), ErrorCode::kNotReplicated) << written.ToString();
  EXPECT_TRUE(test_util::WaitFor([&] { return Write(key, "three").ok(); },
                                 seconds(10)));
}

TEST_F(BreakerTest, DeadRedisCostsOneFastFailurePerCallUntilAProbeSucceeds) {
  ASSERT_NO_FATAL_FAILURE(
      Start({Mode::kStandalone}, [](ClientOptions* options) {
        options->connection.socket_timeout = milliseconds(300);
        options->breaker.failures = 2;
        options->breaker.cooldown = milliseconds(700);
      }));
  ASSERT_TRUE(client_->Ping().ok());
  const int port = servers_->nodes()[0].port;
  std::string error;
  ASSERT_TRUE(servers_->Pause(port, &error)) << error;
  for (int call = 0; call < 2; ++call) {  // each waits for its timeout
    EXPECT_EQ(client_->Ping().code(), ErrorCode::kTimeout);
  }
  for (int call = 0; call < 5; ++call) {
    const auto start = Clock::now();
    const Status status = client_->Ping();
    EXPECT_LT(Clock::now() - start, milliseconds(50));
    EXPECT_EQ(status.code(), ErrorCode::kUnavailable);
    EXPECT_NE(status.message().find("circuit breaker open"), std::string::npos)
        << status.ToString();
  }
  ASSERT_TRUE(servers_->Resume(port, &error)) << error;
  // The first call after the cooldown probes; it succeeds and closes.
  EXPECT_TRUE(test_util::WaitFor([&] { return client_->Ping().ok(); },
                                 seconds(10)));
  EXPECT_TRUE(client_->Ping().ok());
}

}  // namespace
}  // namespace redis_client
}  // namespace tfra

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/cluster_router.h"

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_test_util.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/hash_slot.h"

namespace tfra {
namespace redis_client {
namespace {

using test_util::TestKey;

class ClusterRouterTest : public test_util::ClusterWithReplicasTest {
 protected:
  // Reads `key` straight from `node`, without following redirections.
  static Result<Reply> GetFrom(const Endpoint& node, const std::string& key) {
    auto connection = Connection::Open(node, ConnectionOptions());
    if (!connection.ok()) return connection.status();
    return (*connection)->Run(Command{"GET", key});
  }
};

// With an executor the nodes' pipelines run on its threads; without one,
// the calling thread drives every node's pipeline window in turn.
TEST_F(ClusterRouterTest, SendsEachCommandToTheMasterOfItsSlot) {
  ClusterRouter router(options_);
  ThreadPerTaskExecutor threads;
  for (Executor* executor : {static_cast<Executor*>(&threads),
                             static_cast<Executor*>(nullptr)}) {
    const std::string tag = executor == nullptr ? "interleaved" : "threads";
    std::vector<std::string> keys;
    for (int i = 0; i < 30; ++i) {
      keys.push_back(TestKey(tag + std::to_string(i)));
    }
    std::vector<Command> commands;
    for (const std::string& key : keys)
      commands.push_back(Command{"SET", key, key});
    std::vector<SlotCommand> routed;
    for (size_t i = 0; i < keys.size(); ++i)
      routed.push_back({HashSlot(keys[i]), &commands[i]});
    Result<std::vector<Reply>> replies =
        router.Execute(routed, false, executor);
    ASSERT_TRUE(replies.ok()) << tag << ": " << replies.status().ToString();
    std::shared_ptr<const SlotMap> map = router.topology().CurrentMap().value();
    for (size_t i = 0; i < keys.size(); ++i) {
      EXPECT_EQ(*(*replies)[i].AsString(), "OK") << tag;
      Result<Reply> direct =
          GetFrom(map->Find(HashSlot(keys[i]))->master, keys[i]);
      ASSERT_TRUE(direct.ok());
      EXPECT_EQ(*direct->AsString(), keys[i])
          << tag << ": key " << keys[i] << " not on its master";
    }
  }
}

// Pipelines larger than one window (kPipelineWindowBytes) cannot all be
// sent before reading; without an executor the nodes take turns reading and
// topping up, and every reply still comes back in its place.
TEST_F(ClusterRouterTest, PipelinesOverOneWindowTakeTurnsAcrossNodes) {
  ClusterRouter router(options_);
  std::shared_ptr<const SlotMap> map = router.topology().CurrentMap().value();
  const std::string value(4 << 20, 'v');
  std::vector<std::string> keys;
  std::set<std::string> nodes;
  for (int i = 0; keys.size() < 9 && i < 1000; ++i) {
    keys.push_back(TestKey("window" + std::to_string(i)));
    nodes.insert(map->Find(HashSlot(keys.back()))->master.ToString());
  }
  ASSERT_GE(nodes.size(), 2u);
  std::vector<Command> commands;
  for (const std::string& key : keys) {
    commands.push_back(Command{"SET", key, value});
    commands.push_back(Command{"STRLEN", key});
  }
  std::vector<SlotCommand> routed;
  for (size_t i = 0; i < commands.size(); ++i)
    routed.push_back({HashSlot(keys[i / 2]), &commands[i]});
  Result<std::vector<Reply>> replies = router.Execute(routed, false, nullptr);
  ASSERT_TRUE(replies.ok()) << replies.status().ToString();
  for (size_t k = 0; k < keys.size(); ++k) {
    EXPECT_EQ(*(*replies)[2 * k].AsString(), "OK");
    EXPECT_EQ(*(*replies)[2 * k + 1].AsInteger(),
              static_cast<int64_t>(value.size()));
  }
}

TEST_F(ClusterRouterTest, ReadsGoToAReplicaOnlyWhenEnabledAndAsked) {
  ClientOptions replica_reads = options_;
  replica_reads.read_from_replicas = true;
  ClusterRouter enabled(replica_reads);
  ClusterRouter disabled(options_);
  const Command role = Role();
  const std::vector<SlotCommand> commands = {{HashSlot(TestKey("r")), &role}};
  auto RoleSeen = [&commands](ClusterRouter& router, bool prefer_replicas) {
    Result<std::vector<Reply>> replies =
        router.Execute(commands, prefer_replicas, nullptr);
    EXPECT_TRUE(replies.ok()) << replies.status().ToString();
    return replies.ok() ? std::string((*replies)[0].element(0).text()) : "";
  };
  EXPECT_EQ(RoleSeen(enabled, true), "slave");
  EXPECT_EQ(RoleSeen(enabled, false), "master");
  EXPECT_EQ(RoleSeen(disabled, true), "master");
}

TEST_F(ClusterRouterTest, OrdinaryErrorRepliesAreNotRetried) {
  ClusterRouter router(options_);
  const std::string key = TestKey("wrongtype");
  const std::vector<Command> commands = {Command{"SET", key, "v"},
                                         Command{"HGET", key, "f"}};
  const uint16_t slot = HashSlot(key);
  Result<std::vector<Reply>> replies = router.Execute(
      {{slot, &commands[0]}, {slot, &commands[1]}}, false, nullptr);
  ASSERT_TRUE(replies.ok()) << replies.status().ToString();
  EXPECT_EQ((*replies)[1].ToStatus().code(), ErrorCode::kReplyError);
}

TEST_F(ClusterRouterTest, AuthFailureIsReportedAtOnceWithoutRetries) {
  ClientOptions wrong = options_;
  wrong.connection.password = "cluster-has-no-password";
  wrong.cluster.min_backoff = std::chrono::milliseconds(500);
  ClusterRouter router(wrong);
  const Command ping = Ping();
  const auto start = std::chrono::steady_clock::now();
  Result<std::vector<Reply>> replies =
      router.Execute({{0, &ping}}, false, nullptr);
  EXPECT_EQ(replies.status().code(), ErrorCode::kAuth)
      << replies.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start,
            std::chrono::milliseconds(450));
  EXPECT_EQ(replies.status().message().find("cluster-has-no-password"),
            std::string::npos);
}

TEST_F(ClusterRouterTest, NoReachableNodeFailsAfterTheAttemptBudget) {
  ClientOptions dead = options_;
  dead.endpoints = {{"127.0.0.1", test_util::UnusedPort()}};
  dead.cluster.max_attempts = 3;
  dead.cluster.min_backoff = std::chrono::milliseconds(1);
  ClusterRouter router(dead);
  const Command ping = Ping();
  Result<std::vector<Reply>> replies =
      router.Execute({{0, &ping}}, false, nullptr);
  EXPECT_EQ(replies.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(replies.status().message().find("gave up after 3 attempt(s)"),
            std::string::npos)
      << replies.status().message();
  EXPECT_NE(replies.status().message().find("CLUSTER SLOTS"),
            std::string::npos);
}

}  // namespace
}  // namespace redis_client
}  // namespace tfra

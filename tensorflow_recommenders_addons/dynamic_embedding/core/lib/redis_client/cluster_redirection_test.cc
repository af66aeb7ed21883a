// MOVED and ASK for real: a slot is migrated between two masters with
// CLUSTER SETSLOT IMPORTING/MIGRATING + MIGRATE while a client keeps using
// it, then handed over with CLUSTER SETSLOT NODE.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_test_util.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/cluster_client.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/hash_slot.h"

namespace tfra {
namespace redis_client {
namespace {

using test_util::RedisServers;

// Runs one command directly on `node` (no routing), failing the test on
// transport errors or error replies.
Reply OnNode(const Endpoint& node, const Command& command) {
  auto connection = Connection::Open(node, ConnectionOptions());
  EXPECT_TRUE(connection.ok()) << connection.status().ToString();
  if (!connection.ok()) return Reply();
  Result<Reply> reply = (*connection)->Run(command);
  EXPECT_TRUE(reply.ok()) << reply.status().ToString();
  if (!reply.ok()) return Reply();
  EXPECT_TRUE(reply->ToStatus().ok())
      << DescribeCommand(command) << ": " << reply->ToStatus().ToString();
  return std::move(reply).value();
}

// EXISTS `key` on an importing node, which answers only after ASKING on the
// same connection.
int64_t ExistsAfterAsking(const Endpoint& node, const std::string& key) {
  auto connection = Connection::Open(node, ConnectionOptions());
  EXPECT_TRUE(connection.ok()) << connection.status().ToString();
  if (!connection.ok()) return -1;
  const std::vector<Command> commands = {Command{"ASKING"}, Exists(key)};
  Result<std::vector<Reply>> replies =
      RunPipeline(**connection, RefsOf(commands));
  EXPECT_TRUE(replies.ok()) << replies.status().ToString();
  if (!replies.ok()) return -1;
  Result<int64_t> exists = (*replies)[1].AsInteger();
  EXPECT_TRUE(exists.ok()) << exists.status().ToString();
  return exists.ok() ? *exists : -1;
}

int64_t AskingCalls(const Endpoint& node) {
  const std::string stats(OnNode(node, Info("commandstats")).text());
  const std::string field = "cmdstat_asking:calls=";
  const size_t at = stats.find(field);
  return at == std::string::npos ? 0
                                 : std::stoll(stats.substr(at + field.size()));
}

class ClusterRedirectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    servers_ = test_util::StartServers(Mode::kCluster);
    ASSERT_NE(servers_, nullptr);
    client_ = std::make_unique<ClusterClient>(test_util::OptionsFor(*servers_));
  }

  ClusterTopology& topology() { return client_->router().topology(); }

  // Text of a field read through the client.
  std::string Read(const std::string& key) {
    Result<Reply> reply =
        client_->Run(key, Command{"HGET", key, "f"}, Access::kWrite);
    EXPECT_TRUE(reply.ok()) << reply.status().ToString();
    if (!reply.ok()) return "<error>";
    EXPECT_TRUE(reply->ToStatus().ok()) << reply->ToStatus().ToString();
    return std::string(reply->text());
  }

  void Write(const std::string& key, const std::string& value) {
    Result<Reply> reply =
        client_->Run(key, Command{"HSET", key, "f", value}, Access::kWrite);
    ASSERT_TRUE(reply.ok()) << reply.status().ToString();
    ASSERT_TRUE(reply->ToStatus().ok()) << reply->ToStatus().ToString();
  }

  // The MOVED already triggered a refresh, but the node it asked (maybe a
  // replica) can lag behind the handover; later refreshes converge.
  void ExpectMapConvergesTo(uint16_t slot, const Endpoint& owner) {
    EXPECT_TRUE(test_util::WaitFor(
        [&] {
          if (topology().CurrentMap().value()->Find(slot)->master ==
              owner) {
            return true;
          }
          topology().Refresh();  // a failure just means: poll again
          return false;
        },
        std::chrono::seconds(20)));
  }

  // Hands the (empty) slot of `bucket` to another master behind the client's
  // back, so every command the client sends there is answered MOVED.
  // Returns the new owner.
  Endpoint HandSlotToAnotherMaster(const std::string& bucket) {
    const uint16_t slot = HashSlot(bucket);
    std::shared_ptr<const SlotMap> map = topology().CurrentMap().value();
    const Endpoint source = map->Find(slot)->master;
    Endpoint target;
    for (const Endpoint& master : map->Masters()) {
      if (master != source) target = master;
    }
    const std::string target_id(
        OnNode(target, Command{"CLUSTER", "MYID"}).text());
    for (const Endpoint& master : map->Masters()) {
      OnNode(master, Command{"CLUSTER", "SETSLOT", std::to_string(slot), "NODE",
                             target_id});
    }
    return target;
  }

  std::unique_ptr<RedisServers> servers_;
  std::unique_ptr<ClusterClient> client_;
};

TEST_F(ClusterRedirectionTest, SlotMigratedWhileInUseIsFollowedByAskThenMoved) {
  // Two buckets in one slot (same hash tag), as a table's bucket keys are.
  const std::string moved_early = "{migrating}:a";
  const std::string moved_late = "{migrating}:b";
  const std::string created = "{migrating}:c";
  const uint16_t slot = HashSlot(moved_early);
  Write(moved_early, "a");
  Write(moved_late, "b");
  std::shared_ptr<const SlotMap> map = topology().CurrentMap().value();
  const Endpoint source = map->Find(slot)->master;
  Endpoint target;
  for (const Endpoint& master : map->Masters()) {
    if (master != source) target = master;
  }
  const std::string source_id(
      OnNode(source, Command{"CLUSTER", "MYID"}).text());
  const std::string target_id(
      OnNode(target, Command{"CLUSTER", "MYID"}).text());
  const std::string slot_text = std::to_string(slot);
  const std::string target_port = std::to_string(target.port);
  OnNode(target,
         Command{"CLUSTER", "SETSLOT", slot_text, "IMPORTING", source_id});
  OnNode(source,
         Command{"CLUSTER", "SETSLOT", slot_text, "MIGRATING", target_id});
  OnNode(source, Command{"MIGRATE", target.host, target_port, "", "0", "5000",
                         "KEYS", moved_early});

  // Mid-migration: the moved key and a new key are answered with ASK by the
  // source and served by the target after ASKING; the other stays put.
  const int64_t asking_before = AskingCalls(target);
  EXPECT_EQ(Read(moved_early), "a");
  EXPECT_EQ(Read(moved_late), "b");
  Write(created, "c");
  EXPECT_GE(AskingCalls(target) - asking_before, 2);
  EXPECT_EQ(ExistsAfterAsking(target, created), 1);  // created on the target

  // Finish: move the rest, hand the slot over everywhere.
  OnNode(source, Command{"MIGRATE", target.host, target_port, "", "0", "5000",
                         "KEYS", moved_late});
  for (const Endpoint& master : {target, source}) {
    OnNode(master, Command{"CLUSTER", "SETSLOT", slot_text, "NODE", target_id});
  }
  for (const Endpoint& master : map->Masters()) {
    if (master != source && master != target) {
      OnNode(master,
             Command{"CLUSTER", "SETSLOT", slot_text, "NODE", target_id});
    }
  }
  // The client's map still names the source: MOVED, then the target.
  EXPECT_EQ(topology().CurrentMap().value()->Find(slot)->master, source);
  EXPECT_EQ(Read(moved_late), "b");
  EXPECT_EQ(Read(created), "c");
  ExpectMapConvergesTo(slot, target);
}

TEST_F(ClusterRedirectionTest, PipelinesSplitAcrossARedirectionKeepTheirOrder) {
  const std::string bucket = "{split}:bucket";
  const uint16_t slot = HashSlot(bucket);
  // Every command of the pipeline is answered MOVED and must be resent in
  // order.
  const Endpoint target = HandSlotToAnotherMaster(bucket);
  std::vector<std::string> values;
  for (int i = 0; i < 50; ++i) values.push_back(std::to_string(i));
  std::vector<Command> commands;
  for (const std::string& value : values)
    commands.push_back(Command{"RPUSH", bucket, value});
  commands.push_back(Command{"LRANGE", bucket, "0", "-1"});
  Result<std::vector<Reply>> replies =
      client_->RunPipeline(bucket, commands, Access::kWrite);
  ASSERT_TRUE(replies.ok()) << replies.status().ToString();
  const Reply& list = replies->back();
  ASSERT_EQ(*list.ArraySize(), values.size());
  for (size_t i = 0; i < values.size(); ++i)
    EXPECT_EQ(list.element(i).text(), values[i]);
  ExpectMapConvergesTo(slot, target);
}

TEST_F(ClusterRedirectionTest, StreamedRepliesAreFinalAndHandedOverOnce) {
  const std::string bucket = "{streamed}:bucket";
  // Every command is first answered MOVED; only the retried replies count.
  HandSlotToAnotherMaster(bucket);
  std::vector<RoutedCommands> batches(2);
  for (RoutedCommands& batch : batches) {
    batch.routing_key = bucket;
    for (int i = 0; i < 20; ++i)
      batch.commands.push_back(Command{"RPUSH", bucket, "x"});
  }
  std::vector<int> handed(40, 0);
  std::vector<int64_t> lengths(40, 0);
  Status status = client_->StreamPipelines(
      batches, Access::kWrite, nullptr, [&](size_t index, Reply&& reply) {
        ++handed.at(index);
        lengths.at(index) = reply.AsInteger().ok() ? *reply.AsInteger() : -1;
      });
  ASSERT_TRUE(status.ok()) << status.ToString();
  for (size_t i = 0; i < handed.size(); ++i) {
    EXPECT_EQ(handed[i], 1) << i;
    EXPECT_EQ(lengths[i], static_cast<int64_t>(i) + 1) << i;
  }
}

// Durable writes asking more replicas than any master has, so every WAIT
// fails: a write answered MOVED did not run, so the failed WAIT after it is
// moot and the write follows the redirection. It runs on the new owner and
// only then fails as not replicated (before, the WAIT's failure ended the
// call at the old owner with nothing written).
TEST_F(ClusterRedirectionTest, AMovedWriteRunsOnTheNewOwnerBeforeWaitCounts) {
  const std::string bucket = "{durable}:bucket";
  ClientOptions options = test_util::OptionsFor(*servers_);
  options.durable_writes.replicas = 5;
  options.durable_writes.timeout = std::chrono::milliseconds(100);
  options.connection.socket_timeout = std::chrono::milliseconds(2000);
  ClusterClient durable(options);
  // Loads its slot map while the slot is still on its first master.
  ASSERT_TRUE(durable.Run(bucket, Command{"HGET", bucket, "f"}, Access::kWrite)
                  .ok());
  const Endpoint target = HandSlotToAnotherMaster(bucket);
  Result<Reply> written =
      durable.Run(bucket, Command{"HSET", bucket, "f", "v"}, Access::kWrite);
  EXPECT_EQ(written.status().code(), ErrorCode::kNotReplicated)
      << written.status().ToString();
  EXPECT_NE(written.status().message().find(target.ToString()),
            std::string::npos)
      << written.status().ToString();
  EXPECT_EQ(OnNode(target, Command{"HGET", bucket, "f"}).text(), "v");
}

}  // namespace
}  // namespace redis_client
}  // namespace tfra

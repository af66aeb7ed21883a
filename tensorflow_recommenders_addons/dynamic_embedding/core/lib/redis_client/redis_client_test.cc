// The same test bodies against a standalone server, a Sentinel deployment and
// a cluster: everything above the endpoint provider / router must behave
// alike in all three modes.
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/redis_client.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_factory.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_test_util.h"

namespace tfra {
namespace redis_client {
namespace {

using test_util::MakeClient;
using test_util::TestKey;

class RedisClientTest : public test_util::AllModesServersTest {
 protected:
  test_util::DeploymentSpec Spec() const override {
    test_util::DeploymentSpec spec{GetParam()};
    spec.wait_for_replicas = true;  // ReplicaReadsSeeAcknowledgedWrites
    return spec;
  }

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(SharedServersTest::SetUp());
    options_ = test_util::OptionsFor(*servers_);
    client_ = MakeClient(options_);
    ASSERT_NE(client_, nullptr);
  }

  // Runs one command routed by `key`; fails the test on any error.
  Reply MustRun(const std::string& key, const Command& command,
                Access access = Access::kWrite) {
    Result<Reply> reply = client_->Run(key, command, access);
    EXPECT_TRUE(reply.ok()) << reply.status().ToString();
    if (!reply.ok()) return Reply();
    EXPECT_TRUE(reply->ToStatus().ok()) << reply->ToStatus().ToString();
    return std::move(reply).value();
  }

  ClientOptions options_;
  std::unique_ptr<RedisClient> client_;
};

TEST_P(RedisClientTest, RoundTripsBinarySafeHashCommands) {
  const std::string bucket = TestKey(std::string("bucket\0\xff", 8));
  const std::vector<std::string> fields = {std::string("\0\0\0\x01", 4),
                                           "f\r\n2", "f3"};
  const std::vector<std::string> values = {std::string("\xff\0v1", 4), "",
                                           "v3"};
  const std::vector<std::string_view> field_views(fields.begin(), fields.end());
  const std::vector<std::string_view> value_views(values.begin(), values.end());
  EXPECT_EQ(
      *MustRun(bucket, Hset(bucket, field_views, value_views)).AsInteger(), 3);
  EXPECT_EQ(*MustRun(bucket, Hlen(bucket)).AsInteger(), 3);
  Reply fetched = MustRun(
      bucket, Hmget(bucket, {field_views[0], "missing", field_views[2]}),
      Access::kWrite);
  ASSERT_EQ(*fetched.ArraySize(), 3u);
  EXPECT_EQ(*fetched.element(0).AsString(), values[0]);
  EXPECT_TRUE(fetched.element(1).is_nil());
  EXPECT_EQ(*fetched.element(2).AsString(), values[2]);
  EXPECT_EQ(*MustRun(bucket, Hdel(bucket, {field_views[1]})).AsInteger(), 1);
  Reply page = MustRun(bucket, Hscan(bucket, "0", 100));
  EXPECT_EQ(*page.element(1).ArraySize(), 4u);  // two field/value pairs left
  EXPECT_EQ(*MustRun(bucket, Del(bucket)).AsInteger(), 1);
  EXPECT_EQ(*MustRun(bucket, Exists(bucket)).AsInteger(), 0);
}

TEST_P(RedisClientTest, PipelineOfHundredThousandCommands) {
  constexpr int kCommands = 100000;
  const std::string bucket = TestKey("100k");
  std::vector<std::string> fields;
  fields.reserve(kCommands);
  for (int i = 0; i < kCommands; ++i) fields.push_back(std::to_string(i));
  std::vector<Command> commands;
  commands.reserve(kCommands);
  for (const std::string& field : fields)
    commands.push_back(Command{"HSET", bucket, field, field});
  Result<std::vector<Reply>> replies =
      client_->RunPipeline(bucket, commands, Access::kWrite);
  ASSERT_TRUE(replies.ok()) << replies.status().ToString();
  ASSERT_EQ(replies->size(), static_cast<size_t>(kCommands));
  int added = 0;
  for (const Reply& reply : *replies)
    added += reply.AsInteger().ok() ? *reply.AsInteger() : 0;
  EXPECT_EQ(added, kCommands);
  EXPECT_EQ(*MustRun(bucket, Hlen(bucket)).AsInteger(), kCommands);
}

TEST_P(RedisClientTest, RunPipelinesAnswersEveryBucketInOrder) {
  constexpr int kBuckets = 64;
  std::vector<std::string> keys;
  for (int b = 0; b < kBuckets; ++b) keys.push_back(TestKey(std::to_string(b)));
  std::vector<RoutedCommands> batches;
  for (const std::string& key : keys) {
    batches.push_back(
        {key, {Hset(key, {"f"}, {key}), Hmget(key, {"f", "g"}), Hlen(key)}});
  }
  ThreadPerTaskExecutor executor;
  Result<std::vector<std::vector<Reply>>> replies =
      client_->RunPipelines(batches, Access::kWrite, &executor);
  ASSERT_TRUE(replies.ok()) << replies.status().ToString();
  ASSERT_EQ(replies->size(), static_cast<size_t>(kBuckets));
  for (int b = 0; b < kBuckets; ++b) {
    ASSERT_EQ((*replies)[b].size(), 3u);
    EXPECT_EQ(*(*replies)[b][1].element(0).AsString(), keys[b]);
    EXPECT_TRUE((*replies)[b][1].element(1).is_nil());
    EXPECT_EQ(*(*replies)[b][2].AsInteger(), 1);
  }
}

// Commands carrying a sink stream their HMGET values to it with their tag,
// through every mode's routing, with and without an executor.
TEST_P(RedisClientTest, StreamedElementsArriveWithTheirCommandsTag) {
  class Collecting : public ElementSink {
   public:
    void OnElement(size_t tag, size_t index, bool is_nil,
                   std::string_view value) override {
      std::lock_guard<std::mutex> lock(mu);
      seen[tag].resize(std::max(seen[tag].size(), index + 1));
      seen[tag][index] = is_nil ? "<nil>" : std::string(value);
    }
    std::mutex mu;
    std::map<size_t, std::vector<std::string>> seen;
  };
  constexpr size_t kBuckets = 40;
  std::vector<std::string> keys;
  for (size_t b = 0; b < kBuckets; ++b) {
    keys.push_back(TestKey("streamed" + std::to_string(b)));
  }
  ThreadPerTaskExecutor threads;
  for (Executor* executor : {static_cast<Executor*>(&threads),
                             static_cast<Executor*>(nullptr)}) {
    Collecting sink;
    std::vector<RoutedCommands> batches;
    for (size_t b = 0; b < kBuckets; ++b) {
      Command hmget = Hmget(keys[b], {"f", "g"});
      hmget.SendElementsTo(&sink, 1000 + b);
      batches.push_back({keys[b], {Hset(keys[b], {"f"}, {keys[b]}), hmget}});
    }
    Result<std::vector<std::vector<Reply>>> replies =
        client_->RunPipelines(batches, Access::kWrite, executor);
    ASSERT_TRUE(replies.ok()) << replies.status().ToString();
    ASSERT_EQ(sink.seen.size(), kBuckets);
    for (size_t b = 0; b < kBuckets; ++b) {
      EXPECT_EQ(*(*replies)[b][1].ArraySize(), 2u);
      EXPECT_EQ(sink.seen[1000 + b],
                (std::vector<std::string>{keys[b], "<nil>"}))
          << "bucket " << b;
    }
  }
}

TEST_P(RedisClientTest, SixteenThreadsShareOneClient) {
  constexpr int kThreads = 16;
  constexpr int kRounds = 100;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t, &wrong] {
      const std::string bucket = TestKey("thread" + std::to_string(t));
      for (int round = 0; round < kRounds; ++round) {
        const std::string value = std::to_string(t * 1000 + round);
        const std::vector<Command> commands = {
            Command{"HSET", bucket, "f", value}, Command{"HGET", bucket, "f"}};
        Result<std::vector<Reply>> replies =
            client_->RunPipeline(bucket, commands, Access::kWrite);
        if (!replies.ok() || (*replies)[1].text() != value) wrong.fetch_add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST_P(RedisClientTest, ScanKeysFindsKeysOnEveryMaster) {
  std::vector<std::string> keys;
  for (int i = 0; i < 40; ++i) {
    keys.push_back(TestKey("scan" + std::to_string(i)));
    MustRun(keys.back(), Command{"SET", keys.back(), "x"});
  }
  // TestKey("") ends in ":}", so match the prefix before it.
  const std::string prefix =
      TestKey("scan").substr(0, TestKey("scan").size() - 1);
  Result<std::vector<std::string>> found = client_->ScanKeys(prefix + "*");
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  std::sort(found->begin(), found->end());
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(*found, keys);
}

TEST_P(RedisClientTest, ForEachMasterVisitsEachMasterOnce) {
  int visited = 0;
  Status status =
      client_->ForEachMaster([&visited](NodeSession& node) -> Status {
        ++visited;
        Result<Reply> role = node.Run(Role());
        if (!role.ok()) return role.status();
        return role->element(0).text() == "master"
                   ? Status::Ok()
                   : Status(ErrorCode::kProtocol,
                            "not a master: " + node.Describe());
      });
  EXPECT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(visited, GetParam() == Mode::kCluster ? 3 : 1);
  EXPECT_TRUE(client_->Ping().ok());
}

TEST_P(RedisClientTest, ReplicaReadsSeeAcknowledgedWrites) {
  ClientOptions replica_reads = options_;
  replica_reads.read_from_replicas = true;
  std::unique_ptr<RedisClient> client = MakeClient(replica_reads);
  ASSERT_NE(client, nullptr);
  const bool has_replicas = GetParam() != Mode::kStandalone;
  const std::string bucket = TestKey("replicated");
  // WAIT on the connection that wrote: the write reached the replicas.
  const std::vector<Command> write = {
      Command{"HSET", bucket, "f", "v"},
      Command{"WAIT", has_replicas ? "1" : "0", "5000"}};
  Result<std::vector<Reply>> written =
      client->RunPipeline(bucket, write, Access::kWrite);
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_EQ(*(*written)[1].AsInteger(), has_replicas ? 1 : 0);
  Result<Reply> read =
      client->Run(bucket, Command{"HGET", bucket, "f"}, Access::kRead);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read->AsString(), "v");
  Result<Reply> role = client->Run(bucket, Role(), Access::kRead);
  ASSERT_TRUE(role.ok()) << role.status().ToString();
  EXPECT_EQ(role->element(0).text(), has_replicas ? "slave" : "master");
}

TEST_P(RedisClientTest, CheckDeploymentAcceptsTheMatchingMode) {
  EXPECT_TRUE(CheckDeployment(*client_).ok())
      << CheckDeployment(*client_).ToString();
}

TEST_P(RedisClientTest, CheckDeploymentRejectsTheWrongMode) {
  ClientOptions wrong = options_;
  wrong.endpoints = {{servers_->host(), servers_->nodes()[0].port}};
  wrong.mode =
      GetParam() == Mode::kCluster ? Mode::kStandalone : Mode::kCluster;
  std::unique_ptr<RedisClient> client = MakeClient(wrong);
  ASSERT_NE(client, nullptr);
  const Status status = CheckDeployment(*client);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("cluster support"), std::string::npos)
      << status.ToString();
}

INSTANTIATE_TEST_SUITE_P(AllModes, RedisClientTest,
                         test_util::EveryMode(),
                         test_util::ModeTestName);

}  // namespace
}  // namespace redis_client
}  // namespace tfra

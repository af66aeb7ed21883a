#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/pipeline.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_test_util.h"

namespace tfra {
namespace redis_client {
namespace {

using test_util::TestKey;

class PipelineTest : public test_util::ServersTest {
 protected:
  test_util::DeploymentSpec Spec() const override { return {}; }

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(SharedServersTest::SetUp());
    ConnectionOptions options;
    options.socket_timeout = std::chrono::milliseconds(10000);
    pool_ = std::make_unique<ConnectionPool>(
        std::make_shared<FixedEndpointProvider>(
            Endpoint{servers_->host(), servers_->nodes()[0].port}),
        options, PoolOptions());
  }

  std::unique_ptr<ConnectionPool> pool_;
};

TEST_F(PipelineTest, RepliesComeBackInCommandOrder) {
  const std::string key = TestKey("order");
  std::vector<Command> commands;
  std::vector<std::string> values;
  for (int i = 0; i < 500; ++i) values.push_back(std::to_string(i));
  for (int i = 0; i < 500; ++i) {
    commands.push_back(Command{"SET", key, values[i]});
    commands.push_back(Command{"GET", key});
  }
  Result<std::vector<Reply>> replies =
      RunPipelineOnPool(*pool_, RefsOf(commands));
  ASSERT_TRUE(replies.ok()) << replies.status().ToString();
  ASSERT_EQ(replies->size(), 1000u);
  for (int i = 0; i < 500; ++i)
    EXPECT_EQ(*(*replies)[2 * i + 1].AsString(), values[i]);
}

TEST_F(PipelineTest, ErrorRepliesStayPerCommand) {
  const std::string key = TestKey("errors");
  const std::vector<Command> commands = {Command{"SET", key, "v"},
                                         Command{"HGET", key, "field"},
                                         Command{"GET", key}};
  Result<std::vector<Reply>> replies =
      RunPipelineOnPool(*pool_, RefsOf(commands));
  ASSERT_TRUE(replies.ok()) << replies.status().ToString();
  EXPECT_TRUE((*replies)[0].ToStatus().ok());
  EXPECT_EQ((*replies)[1].ToStatus().code(), ErrorCode::kReplyError);
  EXPECT_NE((*replies)[1].ToStatus().message().find("WRONGTYPE"),
            std::string::npos);
  EXPECT_EQ(*(*replies)[2].AsString(), "v");
}

TEST_F(PipelineTest, HundredThousandCommandsInOneBatch) {
  constexpr int kCommands = 100000;
  const std::string key = TestKey("100k");
  std::vector<std::string> fields;
  fields.reserve(kCommands);
  for (int i = 0; i < kCommands; ++i) fields.push_back("f" + std::to_string(i));
  std::vector<Command> commands;
  commands.reserve(kCommands);
  for (const std::string& field : fields)
    commands.push_back(Command{"HSET", key, field, field});
  Result<std::vector<Reply>> replies =
      RunPipelineOnPool(*pool_, RefsOf(commands));
  ASSERT_TRUE(replies.ok()) << replies.status().ToString();
  ASSERT_EQ(replies->size(), static_cast<size_t>(kCommands));
  for (const Reply& reply : *replies) ASSERT_EQ(*reply.AsInteger(), 1);
  NodeSession session(pool_.get());
  EXPECT_EQ(*session.Run(Hlen(key))->AsInteger(), kCommands);
}

TEST_F(PipelineTest, BatchLargerThanOneWindowRoundTrips) {
  const std::string key = TestKey("big");
  const size_t value_size =
      kPipelineWindowBytes / 3 + 1;  // 4 values never fit one window
  std::vector<std::string> values;
  for (char c : {'a', 'b', 'c', 'd'})
    values.push_back(std::string(value_size, c));
  const std::vector<std::string> fields = {"1", "2", "3", "4"};
  std::vector<Command> commands;
  for (size_t i = 0; i < values.size(); ++i) {
    commands.push_back(Command{"HSET", key, fields[i], values[i]});
  }
  commands.push_back(Command{"HMGET", key, "1", "2", "3", "4"});
  Result<std::vector<Reply>> replies =
      RunPipelineOnPool(*pool_, RefsOf(commands));
  ASSERT_TRUE(replies.ok()) << replies.status().ToString();
  const Reply& fetched = replies->back();
  ASSERT_EQ(*fetched.ArraySize(), 4u);
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_TRUE(fetched.element(i).text() == values[i]) << "value " << i;
  }
}

// Commands whose expected replies each exceed the window still go out (one
// at a time) and every reply comes back in its place; so do cheap commands
// mixed in between them.
TEST_F(PipelineTest, ExpectedRepliesLargerThanTheWindowRoundTrip) {
  const std::string key = TestKey("expected");
  std::vector<std::string> fields;  // commands borrow their arguments
  for (int i = 0; i < 50; ++i) fields.push_back(std::to_string(i));
  std::vector<Command> commands;
  for (int i = 0; i < 50; ++i) {
    commands.push_back(Command{"HSET", key, fields[i], "v"});
    commands.back().ExpectReplyBytes(i % 3 == 0 ? kPipelineWindowBytes * 2
                                                : kPipelineWindowBytes / 5);
    commands.push_back(Command{"HLEN", key});
  }
  Result<std::vector<Reply>> replies =
      RunPipelineOnPool(*pool_, RefsOf(commands));
  ASSERT_TRUE(replies.ok()) << replies.status().ToString();
  ASSERT_EQ(replies->size(), commands.size());
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(*(*replies)[2 * i].AsInteger(), 1) << i;
    EXPECT_EQ(*(*replies)[2 * i + 1].AsInteger(), i + 1) << i;
  }
}

TEST_F(PipelineTest, TransportFailureFailsTheBatchNamingItsFirstCommand) {
  const std::string key = TestKey("quit");
  const std::vector<Command> commands = {Command{"SET", key, "v"},
                                         Command{"QUIT"}, Command{"GET", key}};
  Result<std::vector<Reply>> replies =
      RunPipelineOnPool(*pool_, RefsOf(commands));
  EXPECT_EQ(replies.status().code(), ErrorCode::kClosed)
      << replies.status().ToString();
  EXPECT_NE(replies.status().message().find(
                "pipeline of 3 command(s) starting with SET"),
            std::string::npos)
      << replies.status().message();
  EXPECT_EQ(pool_->open_connections(), 0);  // the broken connection was dropped
}

TEST_F(PipelineTest, EmptyBatchSendsNothing) {
  Result<std::vector<Reply>> replies = RunPipelineOnPool(*pool_, {});
  ASSERT_TRUE(replies.ok());
  EXPECT_TRUE(replies->empty());
  EXPECT_EQ(pool_->open_connections(), 0);
}

}  // namespace
}  // namespace redis_client
}  // namespace tfra

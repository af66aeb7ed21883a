// PipelineAck: which failure a pipeline that ends with WAIT reports. The
// WAIT against real servers is in durable_writes_test.
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/replica_ack.h"

#include <string>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/reply_test_util.h"

namespace tfra {
namespace redis_client {
namespace {

using test_util::Parsed;

class PipelineAckTest : public ::testing::Test {
 protected:
  static DurableWriteOptions OneReplica() {
    DurableWriteOptions options;
    options.replicas = 1;
    options.timeout = std::chrono::milliseconds(100);
    return options;
  }

  const ReplicaAck ack_{OneReplica()};
  const Command script_{"EVALSHA", "sha", "1", "bucket"};
  const Command hset_ = Hset("bucket", {"f"}, {"v"});
  const Status closed_{ErrorCode::kClosed, "127.0.0.1:1: read reply: closed"};
};

TEST_F(PipelineAckTest, TooFewReplicasAfterAWriteThatRanIsNotReplicated) {
  PipelineAck ack(&ack_);
  ack.OnReply(script_, Parsed(":1\r\n"));
  ack.OnWait(Parsed(":0\r\n"));
  const Status outcome = ack.Outcome(Status::Ok());
  EXPECT_EQ(outcome.code(), ErrorCode::kNotReplicated) << outcome.ToString();
  EXPECT_NE(outcome.message().find("only 0 of 1"), std::string::npos);
}

TEST_F(PipelineAckTest, EnoughReplicasAfterAWriteIsOk) {
  PipelineAck ack(&ack_);
  ack.OnReply(hset_, Parsed(":1\r\n"));
  ack.OnWait(Parsed(":1\r\n"));
  EXPECT_TRUE(ack.Outcome(Status::Ok()).ok());
}

// After a failover: the promoted master has no script cached and no
// replica yet. Nothing ran, so the NOSCRIPT in the replies is the answer
// (the caller resends by EVAL), not "applied but not replicated".
TEST_F(PipelineAckTest, WaitIsMootWhenEveryWriteWasRefused) {
  PipelineAck ack(&ack_);
  ack.OnReply(script_, Parsed("-NOSCRIPT No matching script.\r\n"));
  ack.OnReply(hset_, Parsed("-READONLY You can't write.\r\n"));
  ack.OnReply(Hmget("bucket", {"f"}), Parsed("*1\r\n$1\r\nv\r\n"));
  ack.OnWait(Parsed("-ERR WAIT cannot be used with replica instances.\r\n"));
  EXPECT_TRUE(ack.Outcome(Status::Ok()).ok());
}

TEST_F(PipelineAckTest, OneWriteThatRanMakesWaitCount) {
  PipelineAck ack(&ack_);
  ack.OnReply(script_, Parsed("-NOSCRIPT No matching script.\r\n"));
  ack.OnReply(hset_, Parsed(":1\r\n"));
  ack.OnWait(Parsed(":0\r\n"));
  EXPECT_EQ(ack.Outcome(Status::Ok()).code(), ErrorCode::kNotReplicated);
}

TEST_F(PipelineAckTest, ConnectionLostAfterWritesRanBeforeWaitAnswered) {
  PipelineAck ack(&ack_);
  ack.OnReply(hset_, Parsed(":1\r\n"));
  const Status outcome = ack.Outcome(closed_);
  EXPECT_EQ(outcome.code(), ErrorCode::kNotReplicated) << outcome.ToString();
  EXPECT_NE(outcome.message().find("read reply: closed"), std::string::npos);
}

TEST_F(PipelineAckTest, ConnectionLostBeforeAnyWriteRanStaysTransient) {
  PipelineAck refused(&ack_);
  refused.OnReply(script_, Parsed("-NOSCRIPT No matching script.\r\n"));
  EXPECT_EQ(refused.Outcome(closed_).code(), ErrorCode::kClosed);
  PipelineAck unanswered(&ack_);
  EXPECT_EQ(unanswered.Outcome(closed_).code(), ErrorCode::kClosed);
  // Without WAIT there is nothing to vouch for.
  PipelineAck no_wait(nullptr);
  no_wait.OnReply(hset_, Parsed(":1\r\n"));
  EXPECT_EQ(no_wait.Outcome(closed_).code(), ErrorCode::kClosed);
  EXPECT_TRUE(no_wait.Outcome(Status::Ok()).ok());
}

}  // namespace
}  // namespace redis_client
}  // namespace tfra

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/repeat_rule.h"

#include <string>

#include "gtest/gtest.h"

namespace tfra {
namespace redis_client {
namespace {

TEST(RepeatRuleTest, ReadsAndAbsoluteWritesAreSafeToRepeat) {
  for (const Command& command :
       {Hmget("b", {"f"}), Hset("b", {"f"}, {"v"}), Hdel("b", {"f"}),
        Del("b"), Command{"UNLINK", "b"}, Persist("b"),
        Expire("b", std::chrono::seconds(5)), Hscan("b", "0", 10),
        Scan("0", "p*", 10), Dump("b"), Hlen("b"), Command{"hset", "b", "f",
                                                          "v"}}) {
    EXPECT_TRUE(SafeToRepeat(command)) << DescribeCommand(command);
  }
}

TEST(RepeatRuleTest, CommandsThatAddToStoredDataAreNotSafeToRepeat) {
  for (const Command& command :
       {Command{"EVALSHA", "sha", "1", "b"}, Command{"EVAL", "body", "1", "b"},
        Command{"HMACCUM", "b", "float", "1"}, Command{"HINCRBY", "b", "f", "1"},
        Command{"INCR", "k"}, Command{"EXEC"}, Command{"FCALL", "f", "0"}}) {
    EXPECT_FALSE(SafeToRepeat(command)) << DescribeCommand(command);
  }
}

TEST(RepeatRuleTest, OnlyReadsAndConnectionSetUpLeaveDataAlone) {
  for (const Command& command :
       {Hmget("b", {"f"}), Command{"HGET", "b", "f"}, Exists("b"), Ping(),
        Command{"WATCH", "b"}, Command{"WAIT", "1", "100"}}) {
    EXPECT_FALSE(WritesData(command)) << DescribeCommand(command);
  }
  for (const Command& command :
       {Hset("b", {"f"}, {"v"}), Hdel("b", {"f"}), Command{"EVALSHA", "s"},
        Restore("b", std::chrono::milliseconds(0), "p", true),
        Command{"SOMEMODULE.ADD", "k"}}) {
    EXPECT_TRUE(WritesData(command)) << DescribeCommand(command);
  }
}

TEST(RepeatRuleTest, UnknownCommandsAreNotSafeToRepeat) {
  EXPECT_FALSE(SafeToRepeat(Command{"SOMEMODULE.ADD", "k", "1"}));
  EXPECT_FALSE(SafeToRepeat(Command()));
}

TEST(RepeatRuleTest, RestoreIsSafeOnlyWithReplace) {
  EXPECT_TRUE(SafeToRepeat(
      Restore("b", std::chrono::milliseconds(0), "payload", true)));
  EXPECT_FALSE(SafeToRepeat(
      Restore("b", std::chrono::milliseconds(0), "payload", false)));
}

TEST(RepeatRuleTest, OutcomeUnknownNamesTheCommandAndTheFailure) {
  const Status status = OutcomeUnknown(
      Status(ErrorCode::kClosed, "127.0.0.1:1: read reply: closed"),
      Command{"EVALSHA", "abc", "1", "bucket"});
  EXPECT_EQ(status.code(), ErrorCode::kOutcomeUnknown);
  EXPECT_FALSE(status.IsTransient());
  EXPECT_NE(status.message().find("EVALSHA"), std::string::npos);
  EXPECT_NE(status.message().find("may have been applied"), std::string::npos);
  EXPECT_NE(status.message().find("read reply: closed"), std::string::npos);
}

}  // namespace
}  // namespace redis_client
}  // namespace tfra

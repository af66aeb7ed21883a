#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/repeat_rule.h"

#include <string>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/reply_test_util.h"

namespace tfra {
namespace redis_client {
namespace {

using test_util::Parsed;

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

TEST(RepeatRuleTest, RefusalsBeforeRunningAreRecognised) {
  for (const char* refusal :
       {"-NOSCRIPT No matching script. Please use EVAL.\r\n",
        "-MOVED 3999 127.0.0.1:6381\r\n", "-ASK 3999 127.0.0.1:6381\r\n",
        "-TRYAGAIN Multiple keys request during rehashing of slot\r\n",
        "-CLUSTERDOWN The cluster is down\r\n",
        "-LOADING Redis is loading the dataset in memory\r\n",
        "-READONLY You can't write against a read only replica.\r\n",
        "-MASTERDOWN Link with MASTER is down\r\n",
        "-BUSY Redis is busy running a script.\r\n",
        "-NOPERM this user has no permissions to run the 'hset' command\r\n",
        "-EXECABORT Transaction discarded because of previous errors.\r\n",
        "-OOM command not allowed when used memory > 'maxmemory'.\r\n",
        "-ERR unknown command 'HMACCUM', with args beginning with: \r\n"}) {
    EXPECT_TRUE(RefusedBeforeRunning(Parsed(refusal).view())) << refusal;
  }
  for (const char* other :
       {"-ERR Error running script (call to f_x): oops\r\n",
        "-WRONGTYPE Operation against a key holding the wrong kind\r\n",
        "+OK\r\n", ":1\r\n"}) {
    EXPECT_FALSE(RefusedBeforeRunning(Parsed(other).view())) << other;
  }
}

TEST(RepeatRuleTest, AWriteRefusedBeforeRunningWroteNothing) {
  const Command script{"EVALSHA", "sha", "1", "b"};
  const Reply noscript = Parsed("-NOSCRIPT No matching script.\r\n");
  const Reply readonly = Parsed("-READONLY You can't write.\r\n");
  const Reply failed = Parsed("-ERR Error running script: oops\r\n");
  const Reply ran = Parsed(":3\r\n");
  EXPECT_FALSE(MayHaveWritten(script, noscript.view()));
  EXPECT_FALSE(MayHaveWritten(Hset("b", {"f"}, {"v"}), readonly.view()));
  EXPECT_TRUE(MayHaveWritten(script, ran.view()));
  // A script may fail after some of its writes, unless it says otherwise.
  EXPECT_TRUE(MayHaveWritten(script, failed.view()));
  Command checked = script;
  checked.AllOrNothing();
  EXPECT_FALSE(MayHaveWritten(checked, failed.view()));
  EXPECT_TRUE(MayHaveWritten(checked, ran.view()));
  // Plain Redis writes check before they change anything.
  EXPECT_FALSE(MayHaveWritten(Hset("b", {"f"}, {"v"}),
                              Parsed("-WRONGTYPE wrong kind\r\n").view()));
  EXPECT_TRUE(MayHaveWritten(Hset("b", {"f"}, {"v"}), ran.view()));
  // Reads never write, whatever their reply.
  EXPECT_FALSE(MayHaveWritten(Hmget("b", {"f"}), ran.view()));
  EXPECT_FALSE(MayHaveWritten(Command{"COMMAND", "INFO", "HMACCUM"},
                              Parsed("*0\r\n").view()));
}

TEST(RepeatRuleTest, OnlyAnExecThatRanHasWritten) {
  const Command exec{"EXEC"};
  const Reply queued = Parsed("+QUEUED\r\n");
  EXPECT_FALSE(MayHaveWritten(Hset("b", {"f"}, {"v"}), queued.view()));
  EXPECT_FALSE(MayHaveWritten(exec, Parsed("*-1\r\n").view()));
  EXPECT_FALSE(MayHaveWritten(
      exec, Parsed("-EXECABORT Transaction discarded.\r\n").view()));
  EXPECT_TRUE(MayHaveWritten(exec, Parsed("*1\r\n:1\r\n").view()));
}

}  // namespace
}  // namespace redis_client
}  // namespace tfra

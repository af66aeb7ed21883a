#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/command_support.h"

#include <string>

#include "gtest/gtest.h"

namespace tfra {
namespace redis_client {
namespace {

Result<CommandSupport> Parse(const std::string& bytes) {
  Result<Reply> reply = ParseReply(bytes);
  EXPECT_TRUE(reply.ok()) << reply.status().ToString();
  return ParseCommandInfo(*reply);
}

// COMMAND INFO <name> of one command whose flags are `flags`, in Redis 7's
// shape (name, arity, flags, first key, last key, step, ...).
std::string InfoWithFlags(const std::string& flags_array) {
  return "*1\r\n*6\r\n$7\r\nhmaccum\r\n:-4\r\n" + flags_array +
         ":1\r\n:1\r\n:1\r\n";
}

TEST(ParseCommandInfoTest, AWriteCommandIsPresentAndReplicated) {
  auto support = Parse(InfoWithFlags("*2\r\n+write\r\n+denyoom\r\n"));
  ASSERT_TRUE(support.ok()) << support.status().ToString();
  EXPECT_TRUE(support->present);
  EXPECT_TRUE(support->write);
}

TEST(ParseCommandInfoTest, AReadonlyCommandIsPresentButNotAWrite) {
  // TFRA 0.8's HMACCUM: flagged readonly although it writes.
  auto support = Parse(InfoWithFlags("*1\r\n+readonly\r\n"));
  ASSERT_TRUE(support.ok());
  EXPECT_TRUE(support->present);
  EXPECT_FALSE(support->write);
}

TEST(ParseCommandInfoTest, AnUnknownCommandIsANilOrNoEntry) {
  for (const char* reply : {"*1\r\n$-1\r\n", "*1\r\n*-1\r\n", "*0\r\n"}) {
    auto support = Parse(reply);
    ASSERT_TRUE(support.ok()) << reply;
    EXPECT_FALSE(support->present) << reply;
    EXPECT_FALSE(support->write) << reply;
  }
}

TEST(ParseCommandInfoTest, ErrorAndMalformedRepliesFail) {
  EXPECT_EQ(Parse("-ERR unknown command 'COMMAND'\r\n").status().code(),
            ErrorCode::kReplyError);
  EXPECT_EQ(Parse(":1\r\n").status().code(), ErrorCode::kProtocol);
  EXPECT_EQ(Parse("*1\r\n*2\r\n$1\r\nx\r\n:1\r\n").status().code(),
            ErrorCode::kProtocol);
}

TEST(CommandInfoTest, AsksForOneCommand) {
  const Command info = CommandInfo("HMACCUM");
  ASSERT_EQ(info.size(), 3u);
  EXPECT_EQ(info.arg(0), "COMMAND");
  EXPECT_EQ(info.arg(1), "INFO");
  EXPECT_EQ(info.arg(2), "HMACCUM");
}

}  // namespace
}  // namespace redis_client
}  // namespace tfra

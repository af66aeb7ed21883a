#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/command.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tfra {
namespace redis_client {
namespace {

std::vector<std::string> ArgsOf(const Command& command) {
  std::vector<std::string> args;
  for (size_t i = 0; i < command.size(); ++i) args.emplace_back(command.arg(i));
  return args;
}

TEST(CommandTest, BorrowedArgumentsPointIntoTheCallersMemory) {
  const std::string key("k\0ey", 4);
  Command command{"HLEN", key};
  EXPECT_EQ(command.arg(1).data(), key.data());
  EXPECT_EQ(command.arg(1).size(), 4u);
  EXPECT_EQ(command.name(), "HLEN");
}

TEST(CommandTest, OwnedArgumentsSurviveCopiesAndGrowth) {
  Command original;
  original.Add("SET");
  for (int i = 0; i < 100; ++i) original.AddInt(i);  // reallocates storage
  std::string temporary = "short";
  original.AddCopy(temporary);
  temporary = "changed";
  Command copy = original;
  original = Command{"PING"};  // the copy must not depend on the original
  ASSERT_EQ(copy.size(), 102u);
  EXPECT_EQ(copy.arg(1), "0");
  EXPECT_EQ(copy.arg(100), "99");
  EXPECT_EQ(copy.arg(101), "short");
}

TEST(CommandTest, BuildersInterleaveFieldsAndValues) {
  const std::vector<std::string_view> fields = {"f1",
                                                std::string_view("f\0", 2)};
  const std::vector<std::string_view> values = {"v1", "v2"};
  EXPECT_EQ(ArgsOf(Hset("h", fields, values)),
            (std::vector<std::string>{"HSET", "h", "f1", "v1",
                                      std::string("f\0", 2), "v2"}));
  EXPECT_EQ(
      ArgsOf(Hmget("h", fields)),
      (std::vector<std::string>{"HMGET", "h", "f1", std::string("f\0", 2)}));
  EXPECT_EQ(ArgsOf(Expire("h", std::chrono::seconds(3600))),
            (std::vector<std::string>{"EXPIRE", "h", "3600"}));
  EXPECT_EQ(
      ArgsOf(Scan("17", "a*", 1000)),
      (std::vector<std::string>{"SCAN", "17", "MATCH", "a*", "COUNT", "1000"}));
  EXPECT_EQ(
      ArgsOf(Restore("h", std::chrono::milliseconds(0), "payload", true)),
      (std::vector<std::string>{"RESTORE", "h", "0", "payload", "REPLACE"}));
}

TEST(DescribeCommandTest, NamesTheCommandAndItsKey) {
  EXPECT_EQ(DescribeCommand(Command{"HMGET", "model:emb{7}", "field"}),
            "HMGET model:emb{7}");
  EXPECT_EQ(DescribeCommand(Command{}), "<empty command>");
}

TEST(DescribeCommandTest, NeverShowsTheArgumentsOfCredentialCommands) {
  EXPECT_EQ(DescribeCommand(Command{"AUTH", "s3cret"}), "AUTH");
  EXPECT_EQ(DescribeCommand(Command{"auth", "user", "s3cret"}), "auth");
  EXPECT_EQ(DescribeCommand(Command{"HELLO", "3", "AUTH", "u", "s3cret"}),
            "HELLO");
}

TEST(EscapeBytesTest, EscapesNonPrintableBytesAndCutsLongInput) {
  EXPECT_EQ(EscapeBytes(std::string("a\0\xff\\", 4), 10), "a\\x00\\xff\\x5c");
  EXPECT_EQ(EscapeBytes("abcdef", 3), "abc...");
}

}  // namespace
}  // namespace redis_client
}  // namespace tfra

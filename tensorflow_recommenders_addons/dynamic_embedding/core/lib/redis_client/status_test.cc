#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/status.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"

namespace tfra {
namespace redis_client {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status status;
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(status.code(), ErrorCode::kOk);
  EXPECT_EQ(status.ToString(), "ok");
}

TEST(StatusTest, ToStringStartsWithTheCategoryName) {
  EXPECT_EQ(Status(ErrorCode::kTimeout, "read reply").ToString(),
            "timeout: read reply");
  EXPECT_EQ(Status(ErrorCode::kReplyError, "x").ToString(), "reply_error: x");
}

TEST(StatusTest, WithContextKeepsTheCodeAndPrependsTheContext) {
  const Status status =
      Status(ErrorCode::kIo, "connect refused").WithContext("node 127.0.0.1:1");
  EXPECT_EQ(status.code(), ErrorCode::kIo);
  EXPECT_EQ(status.message(), "node 127.0.0.1:1: connect refused");
  EXPECT_TRUE(Status().WithContext("anything").ok());
}

TEST(StatusTest, TransientCodesAreTheOnesARetryCanFix) {
  for (ErrorCode code : {ErrorCode::kIo, ErrorCode::kTimeout,
                         ErrorCode::kClosed, ErrorCode::kMoved, ErrorCode::kAsk,
                         ErrorCode::kNoNode, ErrorCode::kUnavailable}) {
    EXPECT_TRUE(Status(code, "").IsTransient()) << ErrorCodeName(code);
  }
  for (ErrorCode code : {ErrorCode::kAuth, ErrorCode::kInvalidArgument,
                         ErrorCode::kReplyError, ErrorCode::kProtocol}) {
    EXPECT_FALSE(Status(code, "").IsTransient()) << ErrorCodeName(code);
  }
}

TEST(ResultTest, HoldsAValueOrAnError) {
  Result<std::string> value(std::string("abc"));
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, "abc");
  EXPECT_EQ(value->size(), 3u);
  Result<std::string> error(Status(ErrorCode::kAuth, "denied"));
  EXPECT_FALSE(error.ok());
  EXPECT_EQ(error.status().code(), ErrorCode::kAuth);
}

TEST(ResultTest, MovesMoveOnlyValuesOut) {
  Result<std::unique_ptr<int>> result(std::make_unique<int>(7));
  std::unique_ptr<int> taken = std::move(result).value();
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(*taken, 7);
}

TEST(StatusListTest, CombinesMessagesAndLetsAuthDominate) {
  StatusList list;
  EXPECT_TRUE(list.empty());
  list.Add(Status(ErrorCode::kIo, "a: refused"));
  Status combined = list.Combine("nobody answered");
  EXPECT_EQ(combined.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(combined.message(), "nobody answered (io: a: refused)");
  list.Add(Status(ErrorCode::kAuth, "b: WRONGPASS"));
  combined = list.Combine("nobody answered");
  EXPECT_EQ(combined.code(), ErrorCode::kAuth);
  EXPECT_NE(combined.message().find("io: a: refused; auth: b: WRONGPASS"),
            std::string::npos);
}

}  // namespace
}  // namespace redis_client
}  // namespace tfra

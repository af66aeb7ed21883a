#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_status.h"

#include <string>

#include "gtest/gtest.h"

namespace tfra {
namespace redis_table {
namespace {

TEST(TableStatusTest, DefaultIsOkWithoutMessage) {
  const Status status;
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kOk);
  EXPECT_EQ(status.ToString(), "OK");
}

TEST(TableStatusTest, OkCodeDropsAnyMessage) {
  const Status status(StatusCode::kOk, "ignored");
  EXPECT_TRUE(status.message().empty());
}

TEST(TableStatusTest, HelpersSetCodeAndMessage) {
  EXPECT_EQ(InvalidArgumentError("a").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(NotFoundError("b").code(), StatusCode::kNotFound);
  EXPECT_EQ(UnavailableError("c").code(), StatusCode::kUnavailable);
  EXPECT_EQ(FailedPreconditionError("d").code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(InternalError("e").code(), StatusCode::kInternal);
  EXPECT_EQ(CancelledError("e").code(), StatusCode::kCancelled);
  EXPECT_EQ(NotFoundError("no file x").ToString(), "NOT_FOUND: no file x");
}

TEST(TableStatusTest, CodeNamesAreTensorFlowSpellings) {
  EXPECT_STREQ(StatusCodeName(StatusCode::kInvalidArgument),
               "INVALID_ARGUMENT");
  EXPECT_STREQ(StatusCodeName(StatusCode::kFailedPrecondition),
               "FAILED_PRECONDITION");
  EXPECT_STREQ(StatusCodeName(StatusCode::kUnavailable), "UNAVAILABLE");
  EXPECT_STREQ(StatusCodeName(StatusCode::kCancelled), "CANCELLED");
}

Result<int> ParsePositive(int x) {
  if (x <= 0) return InvalidArgumentError("not positive");
  return x;
}

Status UsesReturnIfError(int x, int* out) {
  Result<int> parsed = ParsePositive(x);
  TFRA_TABLE_RETURN_IF_ERROR(parsed.status());
  *out = *parsed;
  return Status::Ok();
}

TEST(TableResultTest, HoldsValueOrError) {
  const Result<int> good = ParsePositive(3);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 3);
  const Result<int> bad = ParsePositive(-1);
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "not positive");
}

TEST(TableResultTest, ReturnIfErrorPropagatesFirstFailure) {
  int out = 0;
  EXPECT_TRUE(UsesReturnIfError(5, &out).ok());
  EXPECT_EQ(out, 5);
  out = 0;
  EXPECT_EQ(UsesReturnIfError(0, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(out, 0);
}

}  // namespace
}  // namespace redis_table
}  // namespace tfra

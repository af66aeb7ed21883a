#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/circuit_breaker.h"

#include <chrono>
#include <string>

#include "gtest/gtest.h"

namespace tfra {
namespace redis_client {
namespace {

using std::chrono::milliseconds;

class CircuitBreakerTest : public ::testing::Test {
 protected:
  CircuitBreakerTest()
      : breaker_(BreakerOptions{3, milliseconds(1000)}, "standalone at h:1",
                 [this] { return now_; }) {}

  // Admits a call and reports `outcome`; false when the call was refused.
  bool Call(const Status& outcome) {
    bool probe = false;
    if (!breaker_.Admit(&probe).ok()) return false;
    breaker_.Report(outcome, probe);
    return true;
  }

  const Status down_{ErrorCode::kTimeout, "h:1: read reply: timed out"};
  std::chrono::steady_clock::time_point now_{};
  CircuitBreaker breaker_;
};

TEST_F(CircuitBreakerTest, OpensAfterTheGivenFailuresInARow) {
  EXPECT_TRUE(Call(down_));
  EXPECT_TRUE(Call(down_));
  EXPECT_TRUE(Call(Status::Ok()));  // a success starts the count again
  EXPECT_TRUE(Call(down_));
  EXPECT_TRUE(Call(down_));
  EXPECT_FALSE(breaker_.open());
  EXPECT_TRUE(Call(down_));
  EXPECT_TRUE(breaker_.open());
  bool probe = false;
  const Status refused = breaker_.Admit(&probe);
  EXPECT_EQ(refused.code(), ErrorCode::kUnavailable);
  EXPECT_NE(refused.message().find("circuit breaker open for standalone at "
                                   "h:1"),
            std::string::npos)
      << refused.message();
  EXPECT_NE(refused.message().find("next probe in 1000 ms"), std::string::npos)
      << refused.message();
}

TEST_F(CircuitBreakerTest, AfterTheCooldownOneProbeGoesAndItsSuccessCloses) {
  for (int i = 0; i < 3; ++i) Call(down_);
  now_ += milliseconds(999);
  EXPECT_FALSE(Call(Status::Ok()));
  now_ += milliseconds(1);
  bool probe = false;
  ASSERT_TRUE(breaker_.Admit(&probe).ok());
  EXPECT_TRUE(probe);
  bool second = false;
  EXPECT_FALSE(breaker_.Admit(&second).ok()) << "one probe at a time";
  breaker_.Report(Status::Ok(), probe);
  EXPECT_FALSE(breaker_.open());
  EXPECT_TRUE(Call(Status::Ok()));
}

TEST_F(CircuitBreakerTest, AFailedProbeOpensTheCircuitForAnotherCooldown) {
  for (int i = 0; i < 3; ++i) Call(down_);
  now_ += milliseconds(1000);
  EXPECT_TRUE(Call(down_));  // the probe
  EXPECT_TRUE(breaker_.open());
  now_ += milliseconds(500);
  EXPECT_FALSE(Call(Status::Ok()));
  now_ += milliseconds(500);
  EXPECT_TRUE(Call(Status::Ok()));
  EXPECT_FALSE(breaker_.open());
}

TEST_F(CircuitBreakerTest, OnlyOutagesCount) {
  const Status answered[] = {
      Status(ErrorCode::kReplyError, "WRONGTYPE"),
      Status(ErrorCode::kAuth, "NOPERM"),
      Status(ErrorCode::kInvalidArgument, "bad"),
      Status(ErrorCode::kNotReplicated, "0 of 1 replicas")};
  for (int round = 0; round < 3; ++round) {
    for (const Status& status : answered) EXPECT_TRUE(Call(status));
  }
  EXPECT_FALSE(breaker_.open());
  for (ErrorCode code : {ErrorCode::kIo, ErrorCode::kTimeout,
                         ErrorCode::kClosed, ErrorCode::kNoNode,
                         ErrorCode::kUnavailable, ErrorCode::kOutcomeUnknown}) {
    EXPECT_TRUE(CircuitBreaker::IsOutage(Status(code, "")))
        << ErrorCodeName(code);
  }
}

}  // namespace
}  // namespace redis_client
}  // namespace tfra

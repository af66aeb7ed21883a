// WATCH / MULTI / EXEC through RedisClient::WithMasterConnection in every
// mode: a commit lands when nobody wrote the key, writes nothing when
// someone did, and a dropped watch no longer guards the key.
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/transaction.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_test_util.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/redis_client.h"

namespace tfra {
namespace redis_client {
namespace {

using test_util::TestKey;

class TransactionTest : public test_util::AllModesServersTest {
 protected:
  test_util::DeploymentSpec Spec() const override {
    return test_util::DeploymentSpec{GetParam()};
  }

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(SharedServersTest::SetUp());
    client_ = test_util::MakeClient(test_util::OptionsFor(*servers_));
    ASSERT_NE(client_, nullptr);
    key_ = TestKey("hash");
    Put("f", "1");
  }

  void Put(const std::string& field, const std::string& value) {
    Result<Reply> reply =
        client_->Run(key_, Command{"HSET", key_, field, value}, Access::kWrite);
    ASSERT_TRUE(reply.ok()) << reply.status().ToString();
    ASSERT_TRUE(reply->ToStatus().ok()) << reply->ToStatus().ToString();
  }

  std::string Get(const std::string& field) {
    Result<Reply> reply =
        client_->Run(key_, Command{"HGET", key_, field}, Access::kWrite);
    EXPECT_TRUE(reply.ok()) << reply.status().ToString();
    if (!reply.ok() || reply->is_nil()) return "<nil>";
    return std::string(*reply->AsString());
  }

  // Reads field "f" under WATCH, runs `between` (another client's turn),
  // then writes "f" = read + "x" and returns the commit's outcome.
  Result<CommitOutcome> ReadModifyWrite(const std::function<void()>& between) {
    Result<CommitOutcome> outcome = CommitOutcome::kNotRun;
    Status status = client_->WithMasterConnection(key_, [&](Connection& c) {
      const Command read{"HGET", key_, "f"};
      std::string seen;
      Status watched = WatchAndRead(c, key_, {&read},
                                    [&](size_t index, Reply&& reply) {
                                      EXPECT_EQ(index, 0u);
                                      seen = std::string(*reply.AsString());
                                    });
      if (!watched.ok()) return watched;
      between();
      const std::string changed = seen + "x";  // commands borrow their args
      const Command write{"HSET", key_, "f", changed};
      outcome = CommitWatched(c, {&write});
      return outcome.status();
    });
    if (!status.ok()) return status;
    return outcome;
  }

  std::unique_ptr<RedisClient> client_;
  std::string key_;
};

TEST_P(TransactionTest, CommitsWhenNobodyWroteTheKey) {
  Result<CommitOutcome> outcome = ReadModifyWrite([] {});
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(*outcome, CommitOutcome::kCommitted);
  EXPECT_EQ(Get("f"), "1x");
}

TEST_P(TransactionTest, WritesNothingWhenAnotherClientWroteTheKey) {
  // Another field of the same hash: WATCH guards the whole key.
  Result<CommitOutcome> outcome = ReadModifyWrite([&] { Put("g", "2"); });
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(*outcome, CommitOutcome::kNotRun);
  EXPECT_EQ(Get("f"), "1");
  EXPECT_EQ(Get("g"), "2");
  // The connection is clean again: the next transaction commits.
  outcome = ReadModifyWrite([] {});
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(*outcome, CommitOutcome::kCommitted);
  EXPECT_EQ(Get("f"), "1x");
}

TEST_P(TransactionTest, RefusedQueuedWriteRunsNothing) {
  Status status = client_->WithMasterConnection(key_, [&](Connection& c) {
    const Command read{"HGET", key_, "f"};
    Status watched = WatchAndRead(c, key_, {&read}, [](size_t, Reply&&) {});
    if (!watched.ok()) return watched;
    const Command good{"HSET", key_, "f", "changed"};
    const Command bad{"HSET", key_, "odd-arity"};  // refused when queued
    Result<CommitOutcome> outcome = CommitWatched(c, {&good, &bad});
    if (!outcome.ok()) return outcome.status();
    EXPECT_EQ(*outcome, CommitOutcome::kNotRun);
    return Status::Ok();
  });
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(Get("f"), "1");
}

TEST_P(TransactionTest, UnwatchLetsALaterTransactionCommit) {
  Status status = client_->WithMasterConnection(key_, [&](Connection& c) {
    const Command read{"HGET", key_, "f"};
    Status watched = WatchAndRead(c, key_, {&read}, [](size_t, Reply&&) {});
    if (!watched.ok()) return watched;
    Status dropped = Unwatch(c);
    if (!dropped.ok()) return dropped;
    Put("f", "2");  // would abort the EXEC if the watch were still there
    const Command write{"HSET", key_, "f", "3"};
    Result<CommitOutcome> outcome = CommitWatched(c, {&write});
    if (!outcome.ok()) return outcome.status();
    EXPECT_EQ(*outcome, CommitOutcome::kCommitted);
    return Status::Ok();
  });
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(Get("f"), "3");
}

TEST_P(TransactionTest, WatchOnANodeNotServingTheKeyFails) {
  if (GetParam() != Mode::kCluster) {
    GTEST_SKIP() << "only a cluster has nodes that do not serve a key";
  }
  // A key whose slot another master serves: route by one key, watch another.
  std::string other;
  for (int i = 0; other.empty() && i < 1000; ++i) {
    const std::string candidate = TestKey("other" + std::to_string(i));
    Status probe = client_->WithMasterConnection(candidate, [&](Connection& c) {
      Result<Reply> moved = c.Run(Command{"WATCH", key_});
      if (!moved.ok()) return moved.status();
      if (moved->is_error()) other = candidate;
      return Unwatch(c);
    });
    ASSERT_TRUE(probe.ok()) << probe.ToString();
  }
  ASSERT_FALSE(other.empty()) << "no key lives on another master";
  Status status = client_->WithMasterConnection(other, [&](Connection& c) {
    const Command read{"HGET", key_, "f"};
    std::vector<bool> errors;
    Status watched = WatchAndRead(c, key_, {&read}, [&](size_t, Reply&& r) {
      errors.push_back(r.is_error());
    });
    EXPECT_EQ(errors, std::vector<bool>{true});
    return watched;
  });
  EXPECT_EQ(status.code(), ErrorCode::kMoved) << status.ToString();
}

INSTANTIATE_TEST_SUITE_P(AllModes, TransactionTest,
                         test_util::EveryMode(),
                         test_util::ModeTestName);

}  // namespace
}  // namespace redis_client
}  // namespace tfra

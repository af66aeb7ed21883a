// Accum when the reply of the command that applies the deltas is lost after
// the server ran it: EXEC of the transaction path, EVALSHA of the script
// path, HMACCUM of the module path (the servers load the module; the other
// paths' stores are told not to use it). A fault proxy in front of every node (tools/testing/fault_proxy.py)
// drops that one reply and then closes the connection or leaves it silent,
// so the client sees a transport failure (closed, or a read timeout) for a
// write that did happen.
//
// The resend rule (redis_client/repeat_rule.h) at work: EXEC and EVALSHA are
// not safe to repeat, so in every mode and on both paths the op fails with
// an error saying the update may have been applied (UNKNOWN), and the delta
// is in Redis exactly once. (Before the rule, the Cluster router resent the
// unanswered EVALSHA and the delta was added twice, with the op reporting
// success.)
//
// Durable writes (redis_write_replicas) too: a WAIT that too few replicas
// answer after a committed transaction fails the op, and the unit is not
// handed to the script path, which would add the deltas a second time; on
// the script path a NOSCRIPT is resent by EVAL before the WAIT's failure is
// reported (durable_failover_test runs this after a real failover).
//
// The module path (HMACCUM) follows the same rule: HMACCUM is never resent.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_store.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/store_test_util.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/value_codec.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/redis_module/module_test_util.h"

namespace tfra {
namespace redis_table {
namespace {

namespace client_util = redis_client::test_util;
using redis_client::Mode;

enum class AccumPath { kTransaction, kScript, kModule };

// The store setting that makes accum take `path`.
AccumPaths PathsFor(AccumPath path) {
  switch (path) {
    case AccumPath::kTransaction:
      return AccumPaths::kNoModule;
    case AccumPath::kScript:
      return AccumPaths::kScriptOnly;
    case AccumPath::kModule:
      return AccumPaths::kAll;
  }
  return AccumPaths::kAll;
}

// The command whose reply is lost: the one that applies the deltas.
const char* FinalCommand(AccumPath path) {
  switch (path) {
    case AccumPath::kTransaction:
      return "EXEC";
    case AccumPath::kScript:
      return "EVALSHA";
    case AccumPath::kModule:
      return "HMACCUM";
  }
  return "";
}

struct LostReplyCase {
  Mode mode;
  AccumPath path;
  // After the lost reply the proxy closes the connection, or with `stall`
  // leaves it silent, so the client's read times out (1 s).
  bool stall;
};

std::string CaseName(const ::testing::TestParamInfo<LostReplyCase>& info) {
  const char* path[] = {"Transaction", "Script", "Module"};
  return std::string(redis_client::ModeName(info.param.mode)) +
         path[static_cast<int>(info.param.path)] +
         (info.param.stall ? "Stalled" : "Closed");
}

constexpr size_t kDim = 4;

class AccumLostReplyTest : public client_util::SharedServersTest<
                               ::testing::TestWithParam<LostReplyCase>> {
 protected:
  client_util::DeploymentSpec Spec() const override {
    client_util::DeploymentSpec spec;
    spec.mode = GetParam().mode;
    spec.options.with_proxies = true;
    spec.options.modules = {redis_module::test_util::HmaccumModulePath()};
    return spec;
  }

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(SharedServersTest::SetUp());
    client_ = client_util::MakeClient(client_util::OptionsFor(*servers_));
    ASSERT_NE(client_, nullptr);
    const std::string tag = CaseName({GetParam(), 0});
    store_ = test_util::MakeStore(client_, test_util::LayoutConfig(1, tag),
                                  "emb", 100, PathsFor(GetParam().path));
    ASSERT_NE(store_, nullptr);
    test_util::MakeKeys(1, 1, 1, &keys_);
  }

  void TearDown() override {
    if (servers_ != nullptr) client_util::OnEveryProxy(*servers_, "heal");
  }

  // The names of the commands whose replies the proxies dropped since the
  // deployment started, after running `action` on every proxy.
  std::vector<std::string> OnEveryProxy(const std::string& action) {
    return client_util::OnEveryProxy(*servers_, action).dropped;
  }

  Status Accum(float delta) {
    const std::vector<float> row(kDim, delta);
    return store_->Accum(
        keys_.batch, {PodRowBytes(row.data(), kDim)}, {1}, AccumElement::kFloat,
        nullptr);
  }

  // The stored row's first element (all are equal here).
  float Stored() {
    float value = -1;
    const Status status = store_->Find(
        keys_.batch,
        [&](size_t, std::string_view stored) {
          std::vector<float> row(kDim);
          Status decoded = DecodePodRow(stored, kDim, row.data());
          EXPECT_EQ(row, std::vector<float>(kDim, row[0]));
          value = row[0];
          return decoded;
        },
        nullptr);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return value;
  }

  std::shared_ptr<redis_client::RedisClient> client_;
  std::unique_ptr<RedisTableStore> store_;
  test_util::Int64Keys keys_;
};

TEST_P(AccumLostReplyTest, LostFinalReplyFailsTheOpAndAppliesTheDeltaOnce) {
  const LostReplyCase& c = GetParam();
  const std::vector<float> ten(kDim, 10.0f);
  ASSERT_TRUE(
      store_->Insert(keys_.batch, {PodRowBytes(ten.data(), kDim)}, nullptr)
          .ok());
  // A first accum caches the script on the node (so the next EVALSHA runs
  // instead of answering NOSCRIPT), opens the connections and has them ask
  // for the module.
  const Status warm = Accum(0.0f);
  ASSERT_TRUE(warm.ok()) << warm.ToString();
  const std::string lost = FinalCommand(c.path);
  const size_t dropped_before = OnEveryProxy("stats").size();
  OnEveryProxy("drop_reply command=" + lost +
               (c.stall ? " then=stall" : " then=close"));

  const Status status = Accum(1.0f);

  const std::vector<std::string> dropped = OnEveryProxy("heal");
  ASSERT_EQ(dropped.size(), dropped_before + 1) << "one reply is lost";
  EXPECT_EQ(std::count(dropped.begin(), dropped.end(), lost),
            std::count(dropped.begin(), dropped.begin() + dropped_before,
                       lost) + 1);
  const float stored = Stored();
  std::cout << "lost " << lost << " reply: op "
            << (status.ok() ? "succeeded" : "failed: " + status.ToString())
            << "; row went from 10 to " << stored << std::endl;
  EXPECT_EQ(status.code(), StatusCode::kOutcomeUnknown) << status.ToString();
  EXPECT_NE(status.message().find(lost + " "), std::string::npos)
      << status.ToString();
  EXPECT_NE(status.message().find("may have been applied"), std::string::npos)
      << status.ToString();
  EXPECT_EQ(stored, 11.0f);
}

INSTANTIATE_TEST_SUITE_P(
    EveryPath, AccumLostReplyTest,
    ::testing::Values(
        LostReplyCase{Mode::kStandalone, AccumPath::kTransaction, false},
        LostReplyCase{Mode::kStandalone, AccumPath::kScript, false},
        LostReplyCase{Mode::kCluster, AccumPath::kTransaction, false},
        LostReplyCase{Mode::kCluster, AccumPath::kScript, false},
        LostReplyCase{Mode::kStandalone, AccumPath::kTransaction, true},
        LostReplyCase{Mode::kStandalone, AccumPath::kScript, true},
        LostReplyCase{Mode::kCluster, AccumPath::kTransaction, true},
        LostReplyCase{Mode::kCluster, AccumPath::kScript, true},
        LostReplyCase{Mode::kStandalone, AccumPath::kModule, false},
        LostReplyCase{Mode::kCluster, AccumPath::kModule, false},
        LostReplyCase{Mode::kStandalone, AccumPath::kModule, true},
        LostReplyCase{Mode::kCluster, AccumPath::kModule, true}),
    CaseName);

TEST(AccumDurableWritesTest, FailedWaitAfterACommitAppliesTheDeltaOnce) {
  // A lone master: WAIT for one replica always fails. It loads the module,
  // so the module path is covered too.
  client_util::DeploymentSpec spec;
  spec.mode = Mode::kStandalone;
  spec.options.modules = {redis_module::test_util::HmaccumModulePath()};
  std::unique_ptr<client_util::RedisServers> servers =
      client_util::StartServers(spec);
  ASSERT_NE(servers, nullptr);
  redis_client::ClientOptions options = client_util::OptionsFor(*servers);
  options.durable_writes.replicas = 1;
  options.durable_writes.timeout = std::chrono::milliseconds(50);
  std::shared_ptr<redis_client::RedisClient> client =
      client_util::MakeClient(options);
  ASSERT_NE(client, nullptr);
  for (const AccumPath path :
       {AccumPath::kTransaction, AccumPath::kScript, AccumPath::kModule}) {
    const std::string tag =
        std::string("durable_") + FinalCommand(path);
    std::unique_ptr<RedisTableStore> store = test_util::MakeStore(
        client, test_util::LayoutConfig(1, tag), "emb", 100, PathsFor(path));
    ASSERT_NE(store, nullptr);
    test_util::Int64Keys keys;
    test_util::MakeKeys(1, 1, 1, &keys);
    const std::vector<float> ten(kDim, 10.0f), one(kDim, 1.0f);
    const Status inserted =
        store->Insert(keys.batch, {PodRowBytes(ten.data(), kDim)}, nullptr);
    EXPECT_EQ(inserted.code(), StatusCode::kOutcomeUnknown)
        << inserted.ToString();
    // Not cached, as on a master a failover just promoted: EVALSHA meets
    // NOSCRIPT, the WAIT after it has nothing to vouch for, and the chunk
    // goes again by EVAL. (The failed WAIT used to outrank the NOSCRIPT:
    // the op said "applied" with nothing run, and the row stayed at 10.)
    const auto flushed = client->Run(
        "", redis_client::Command{"SCRIPT", "FLUSH"}, redis_client::Access::kRead);
    ASSERT_TRUE(flushed.ok() && flushed->ToStatus().ok());

    const Status added =
        store->Accum(keys.batch, {PodRowBytes(one.data(), kDim)}, {1},
                     AccumElement::kFloat, nullptr);

    EXPECT_EQ(added.code(), StatusCode::kOutcomeUnknown) << added.ToString();
    EXPECT_NE(added.message().find("not_replicated"), std::string::npos)
        << added.ToString();
    std::vector<float> row(kDim);
    const Status found = store->Find(
        keys.batch,
        [&](size_t, std::string_view stored) {
          return DecodePodRow(stored, kDim, row.data());
        },
        nullptr);
    ASSERT_TRUE(found.ok()) << found.ToString();
    EXPECT_EQ(row, std::vector<float>(kDim, 11.0f)) << tag;
  }
}

}  // namespace
}  // namespace redis_table
}  // namespace tfra

// Durable writes (redis_write_replicas = 1) across a Sentinel failover: the
// error of every write names what happened. Right after the failover the
// promoted master has no replica (the old master is down) and no accum
// script cached. An accum by script then meets NOSCRIPT and a WAIT that
// counts no replica; the WAIT vouches only for writes that ran
// (redis_client/replica_ack.h), so the NOSCRIPT chunks are resent by EVAL,
// which runs, and only then does the op fail with "not_replicated" (the
// delta is on the master, once). Before, the failed WAIT outranked the
// NOSCRIPT: the op said the writes were applied when nothing had run.
//
// Every accum path and insert: script, transaction (a unit it cannot
// commit is left to the script and sends no WAIT), HMACCUM (the servers
// load the module), and a row of the wrong size, which must fail as the
// wrong size, not as a failed WAIT.
#include <chrono>
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

using std::chrono::milliseconds;
using std::chrono::seconds;
namespace client_util = redis_client::test_util;

constexpr size_t kDim = 4;

class DurableFailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_util::DeploymentSpec spec;
    spec.mode = redis_client::Mode::kSentinel;
    spec.options.modules = {redis_module::test_util::HmaccumModulePath()};
    servers_ = client_util::StartServers(spec);
    ASSERT_NE(servers_, nullptr);
    redis_client::ClientOptions options = client_util::OptionsFor(*servers_);
    options.durable_writes.replicas = 1;
    options.durable_writes.timeout = milliseconds(300);
    options.connection.socket_timeout = milliseconds(2000);
    client_ = client_util::MakeClient(options);
    ASSERT_NE(client_, nullptr);
    // Three stores of one table, one per accum path.
    const RedisTableConfig config =
        test_util::LayoutConfig(1, "durable_failover");
    for (AccumPaths paths : {AccumPaths::kScriptOnly, AccumPaths::kNoModule,
                             AccumPaths::kAll}) {
      stores_.push_back(test_util::MakeStore(client_, config, "emb", 100, paths));
      ASSERT_NE(stores_.back(), nullptr);
    }
    test_util::MakeKeys(1, 1, 1, &keys_);
  }

  RedisTableStore& script() { return *stores_[0]; }
  RedisTableStore& transaction() { return *stores_[1]; }
  RedisTableStore& module() { return *stores_[2]; }

  Status Accum(RedisTableStore& store, float delta, size_t dim = kDim) {
    const std::vector<float> row(dim, delta);
    return store.Accum(keys_.batch, {PodRowBytes(row.data(), dim)}, {1},
                       AccumElement::kFloat, nullptr);
  }

  Status Insert(float value) {
    const std::vector<float> row(kDim, value);
    return script().Insert(keys_.batch, {PodRowBytes(row.data(), kDim)},
                           nullptr);
  }

  // The row's first element (all are equal), or -1 when it is missing.
  float Stored() {
    const auto rows = test_util::StoredRows<float>(script(), keys_.batch, kDim);
    return rows.empty() ? -1.0f : rows.begin()->second[0];
  }

  std::unique_ptr<client_util::RedisServers> servers_;
  std::shared_ptr<redis_client::RedisClient> client_;
  std::vector<std::unique_ptr<RedisTableStore>> stores_;
  test_util::Int64Keys keys_;
};

void ExpectNotReplicated(const Status& status) {
  EXPECT_EQ(status.code(), StatusCode::kOutcomeUnknown) << status.ToString();
  EXPECT_NE(status.message().find("not_replicated"), std::string::npos)
      << status.ToString();
}

TEST_F(DurableFailoverTest, ErrorsNameWhatHappenedAfterAFailover) {
  ASSERT_TRUE(Insert(10.0f).ok());
  const Status cached = Accum(script(), 1.0f);  // caches the script
  ASSERT_TRUE(cached.ok()) << cached.ToString();
  ASSERT_EQ(Stored(), 11.0f);

  std::string error;
  const int old_master = servers_->MasterPort(&error);
  ASSERT_GT(old_master, 0) << error;
  ASSERT_TRUE(servers_->Kill(old_master, &error)) << error;
  Status last;
  ASSERT_TRUE(client_util::WaitFor(
      [&] {
        last = script().Find(
            keys_.batch, [](size_t, std::string_view) { return Status::Ok(); },
            nullptr);
        return last.ok();
      },
      seconds(60)))
      << "no new master: " << last.ToString();
  // Redis 7.0 replicates a script's effects, never the script (neither
  // SCRIPT LOAD nor EVAL reach a replica), so the promoted replica's cache
  // is empty already; flushed anyway, so the test does not hang on that.
  const redis_client::Status flushed =
      client_->ForEachMaster([](redis_client::NodeSession& node) {
        auto reply = node.Run(redis_client::Command{"SCRIPT", "FLUSH"});
        return reply.ok() ? reply->ToStatus() : reply.status();
      });
  ASSERT_TRUE(flushed.ok()) << flushed.ToString();

  // NOSCRIPT, then EVAL: the delta is applied once, and not replicated.
  ExpectNotReplicated(Accum(script(), 1.0f));
  EXPECT_EQ(Stored(), 12.0f) << "the error said the accum was applied";
  // The transaction commits, then WAIT fails: applied, not replicated.
  ExpectNotReplicated(Accum(transaction(), 1.0f));
  EXPECT_EQ(Stored(), 13.0f);
  ExpectNotReplicated(Accum(module(), 1.0f));
  EXPECT_EQ(Stored(), 14.0f);
  // A delta of the wrong size writes nothing on any path, whatever WAIT
  // would say: the error is the size.
  for (RedisTableStore* store : {&script(), &transaction(), &module()}) {
    const Status wrong = Accum(*store, 1.0f, kDim + 1);
    EXPECT_EQ(wrong.code(), StatusCode::kInvalidArgument) << wrong.ToString();
    EXPECT_NE(wrong.message().find("stores 16 bytes"), std::string::npos)
        << wrong.ToString();
  }
  EXPECT_EQ(Stored(), 14.0f);
  ExpectNotReplicated(Insert(20.0f));
  EXPECT_EQ(Stored(), 20.0f);

  // The old master comes back as the new one's replica: writes succeed
  // again. (One may still miss the 300 ms on a loaded machine; it then says
  // not_replicated, which means applied: the sum counts it either way.)
  ASSERT_TRUE(servers_->Restart(old_master, &error)) << error;
  ASSERT_TRUE(client_util::WaitFor(
      [&] {
        last = Accum(script(), 0.0f);
        return last.ok();
      },
      seconds(60)))
      << "writes still fail: " << last.ToString();
  for (RedisTableStore* store : {&script(), &transaction(), &module()}) {
    const Status added = Accum(*store, 1.0f);
    if (!added.ok()) ExpectNotReplicated(added);
  }
  EXPECT_EQ(Stored(), 23.0f);
}

}  // namespace
}  // namespace redis_table
}  // namespace tfra

// Every write of the table logic other than accum (accum_lost_reply_test.cc)
// when its reply is lost after the server ran it: a fault proxy in front of
// every node drops that one reply and closes the connection. All of them
// are safe to repeat (redis_client/repeat_rule.h): the Cluster router sends
// them again and the op succeeds; a single node resends nothing, so the op
// fails (UNAVAILABLE) with the write applied, and running the op again
// completes it. Either way the data ends as one run of the op leaves it.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/bucket_migration.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/client_status.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/store_test_util.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/value_codec.h"

namespace tfra {
namespace redis_table {
namespace {

namespace client_util = redis_client::test_util;
using redis_client::Mode;

class WriteLostReplyTest
    : public client_util::SharedServersTest<::testing::TestWithParam<Mode>> {
 protected:
  client_util::DeploymentSpec Spec() const override {
    client_util::DeploymentSpec spec;
    spec.mode = GetParam();
    spec.options.with_proxies = true;
    return spec;
  }

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(SharedServersTest::SetUp());
    client_ = client_util::MakeClient(client_util::OptionsFor(*servers_));
    ASSERT_NE(client_, nullptr);
    tag_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    tag_ = tag_.substr(0, tag_.find('/'));
  }

  void TearDown() override {
    if (servers_ != nullptr) client_util::OnEveryProxy(*servers_, "heal");
  }

  std::unique_ptr<RedisTableStore> Store(int32_t slices) const {
    return test_util::MakeStore(client_, test_util::LayoutConfig(slices, tag_),
                                "emb", 64);
  }

  // Every node's proxy drops the reply to its next (nth) `command`, then
  // closes that connection.
  void LoseNextReplyTo(const std::string& command, int nth = 1) {
    client_util::OnEveryProxy(
        *servers_, "drop_reply command=" + command +
                       " nth=" + std::to_string(nth) + " then=close");
  }

  // Heals the proxies; the number of replies they dropped since the start
  // (a test checks it grew: the fault did happen).
  size_t Heal() {
    return client_util::OnEveryProxy(*servers_, "heal").dropped.size();
  }

  size_t Dropped() {
    return client_util::OnEveryProxy(*servers_, "stats").dropped.size();
  }

  // What the op's status must be after a lost reply, given the mode.
  void ExpectResentOrUnavailable(const Status& status) {
    if (GetParam() == Mode::kCluster) {
      EXPECT_TRUE(status.ok()) << status.ToString();
    } else {
      EXPECT_EQ(status.code(), StatusCode::kUnavailable) << status.ToString();
    }
  }

  // Stored values of `keys` (empty for missing ones).
  std::vector<std::string> Stored(const RedisTableStore& store,
                                  const KeyBatch& keys) {
    std::vector<std::string> values(keys.size());
    const Status status = store.Find(
        keys,
        [&](size_t i, std::string_view stored) {
          values[i] = std::string(stored);
          return Status::Ok();
        },
        nullptr);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return values;
  }

  std::shared_ptr<redis_client::RedisClient> client_;
  std::string tag_;
};

TEST_P(WriteLostReplyTest, InsertWhoseReplyIsLostStoresTheRows) {
  auto store = Store(2);
  test_util::Int64Keys keys;
  test_util::MakeKeys(100, 1, 2, &keys);
  const std::vector<std::string_view> values(100, "new-row");
  const size_t before = Dropped();
  LoseNextReplyTo("HSET");
  ExpectResentOrUnavailable(store->Insert(keys.batch, values, nullptr));
  EXPECT_GT(Heal(), before);
  EXPECT_EQ(Stored(*store, keys.batch),
            std::vector<std::string>(100, "new-row"));
}

TEST_P(WriteLostReplyTest, RemoveWhoseReplyIsLostDeletesTheRows) {
  auto store = Store(2);
  test_util::Int64Keys keys;
  test_util::MakeKeys(100, 1, 2, &keys);
  ASSERT_TRUE(store->Insert(keys.batch, keys.batch.fields, nullptr).ok());
  const size_t before = Dropped();
  LoseNextReplyTo("HDEL");
  ExpectResentOrUnavailable(store->Remove(keys.batch, nullptr));
  EXPECT_GT(Heal(), before);
  EXPECT_EQ(Stored(*store, keys.batch), std::vector<std::string>(100));
}

TEST_P(WriteLostReplyTest, ClearWhoseReplyIsLostEmptiesTheTable) {
  auto store = Store(4);
  test_util::Int64Keys keys;
  test_util::MakeKeys(100, 1, 4, &keys);
  ASSERT_TRUE(store->Insert(keys.batch, keys.batch.fields, nullptr).ok());
  const size_t before = Dropped();
  LoseNextReplyTo("UNLINK");
  ExpectResentOrUnavailable(store->Clear());
  EXPECT_GT(Heal(), before);
  EXPECT_TRUE(store->Clear().ok());  // what a caller does after a failure
  EXPECT_EQ(*store->Size(), 0);
}

TEST_P(WriteLostReplyTest, RestoreReplaceWhoseReplyIsLostRestoresTheBucket) {
  auto store = Store(1);
  test_util::Int64Keys keys;
  test_util::MakeKeys(10, 1, 1, &keys);
  ASSERT_TRUE(store->Insert(keys.batch, keys.batch.fields, nullptr).ok());
  const std::string& bucket = store->settings().bucket_keys[0];
  auto dump = client_->Run(bucket, redis_client::Dump(bucket),
                           redis_client::Access::kRead);
  ASSERT_TRUE(dump.ok()) << dump.status().ToString();
  auto dumped = dump->AsString();
  ASSERT_TRUE(dumped.ok()) << dumped.status().ToString();
  const std::string payload(*dumped);
  ASSERT_TRUE(store->Remove(keys.batch, nullptr).ok());
  const size_t before = Dropped();
  LoseNextReplyTo("RESTORE");
  auto restored = client_->Run(
      bucket,
      redis_client::Restore(bucket, std::chrono::milliseconds(0), payload,
                            /*replace=*/true),
      redis_client::Access::kWrite);
  ExpectResentOrUnavailable(FromClientStatus(
      restored.ok() ? restored->ToStatus() : restored.status(), "RESTORE"));
  EXPECT_GT(Heal(), before);
  EXPECT_EQ(Stored(*store, keys.batch),
            std::vector<std::string>(keys.batch.fields.begin(),
                                     keys.batch.fields.end()));
}

TEST_P(WriteLostReplyTest, RebucketingCutShortIsFinishedByTheNextOpen) {
  test_util::Int64Keys keys;
  test_util::MakeKeys(500, 1, 1, &keys);
  ASSERT_TRUE(Store(1)->Insert(keys.batch, keys.batch.fields, nullptr).ok());
  const RedisTableConfig config = test_util::LayoutConfig(4, tag_);
  auto store = test_util::MakeStore(client_, config, "emb", 64);
  auto layout = TableKeyLayout::Create(config, "emb", {});
  ASSERT_TRUE(layout.ok());
  const FieldBucketer bucketer(KeyKind::kInt64, 4, false);
  const size_t before = Dropped();
  LoseNextReplyTo("HDEL", 2);
  auto first = MigrateIntoRuntimeBuckets(*store, *layout, bucketer, false,
                                         nullptr);
  ExpectResentOrUnavailable(first.status());
  EXPECT_GT(Heal(), before);
  auto second = MigrateIntoRuntimeBuckets(*store, *layout, bucketer, false,
                                          nullptr);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  test_util::Int64Keys rebucketed;
  test_util::MakeKeys(500, 1, 4, &rebucketed);
  EXPECT_EQ(Stored(*store, rebucketed.batch),
            std::vector<std::string>(rebucketed.batch.fields.begin(),
                                     rebucketed.batch.fields.end()));
  EXPECT_EQ(*store->Size(), 500);
}

TEST_P(WriteLostReplyTest, ImportCutShortIsFinishedByTheNextOpen) {
  const std::string old_tag = tag_ + "_old";
  const RedisTableConfig old_config = test_util::LayoutConfig(2, old_tag);
  test_util::Int64Keys keys;
  test_util::MakeKeys(500, 1, 2, &keys);
  ASSERT_TRUE(test_util::MakeStore(client_, old_config, "emb", 64)
                  ->Insert(keys.batch, keys.batch.fields, nullptr)
                  .ok());
  RedisTableConfig config = test_util::LayoutConfig(3, tag_);
  config.model_tag_import = old_tag;
  config.storage_slice_import = 2;
  auto store = test_util::MakeStore(client_, config, "emb", 64);
  auto layout = TableKeyLayout::Create(config, "emb", {});
  ASSERT_TRUE(layout.ok());
  const FieldBucketer bucketer(KeyKind::kInt64, 3, false);
  // The third HSET of the copy loses its reply: some rows are copied, and a
  // single node gives up there.
  LoseNextReplyTo("HSET", 3);
  auto first = MigrateIntoRuntimeBuckets(*store, *layout, bucketer, false,
                                         nullptr);
  ExpectResentOrUnavailable(first.status());
  Heal();
  auto second = MigrateIntoRuntimeBuckets(*store, *layout, bucketer, false,
                                          nullptr);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  if (GetParam() != Mode::kCluster) EXPECT_EQ(second->keys_copied, 500);
  test_util::Int64Keys runtime_keys;
  test_util::MakeKeys(500, 1, 3, &runtime_keys);
  EXPECT_EQ(Stored(*store, runtime_keys.batch),
            std::vector<std::string>(runtime_keys.batch.fields.begin(),
                                     runtime_keys.batch.fields.end()));
  // Once finished, a later open copies nothing.
  auto third = MigrateIntoRuntimeBuckets(*store, *layout, bucketer, false,
                                         nullptr);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->keys_copied, 0);
}

INSTANTIATE_TEST_SUITE_P(ResendingOrNot, WriteLostReplyTest,
                         ::testing::Values(Mode::kStandalone, Mode::kCluster),
                         client_util::ModeTestName);

}  // namespace
}  // namespace redis_table
}  // namespace tfra

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/bucket_migration.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/store_test_util.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/value_codec.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_factory.h"

namespace tfra {
namespace redis_table {
namespace {

namespace client_util = redis_client::test_util;
using redis_client::Mode;
using test_util::Int64Keys;

class BucketMigrationTest : public ::testing::TestWithParam<Mode> {
 protected:
  void SetUp() override {
    servers_ = client_util::StartServers(GetParam());
    ASSERT_NE(servers_, nullptr);
    auto client = redis_client::CreateClient(client_util::OptionsFor(*servers_));
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    client_ = std::move(client).value();
  }

  // Writes n keys (value = key bytes) through a store of `slices` buckets.
  void Write(const RedisTableConfig& config, size_t n) {
    auto store = test_util::MakeStore(client_, config, "emb", 64);
    Int64Keys keys;
    test_util::MakeKeys(n, 7, static_cast<uint32_t>(config.storage_slice),
                        &keys);
    ASSERT_TRUE(store->Insert(keys.batch, keys.batch.fields, nullptr).ok());
  }

  // Every key 0..n-1 (x7) is found, with its own bytes as value, exactly once.
  void ExpectAllFound(const RedisTableStore& store, uint32_t slices, size_t n) {
    Int64Keys keys;
    test_util::MakeKeys(n, 7, slices, &keys);
    std::vector<int> hits(n, 0);
    ASSERT_TRUE(store
                    .Find(keys.batch,
                          [&](size_t i, std::string_view stored) {
                            if (stored == keys.batch.fields[i]) ++hits[i];
                            return Status::Ok();
                          },
                          nullptr)
                    .ok());
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i], 1) << "key #" << i;
    EXPECT_EQ(*store.Size(), static_cast<int64_t>(n));
  }

  Result<MigrationReport> Migrate(const RedisTableConfig& config,
                                  const RedisTableStore& store) {
    auto layout = TableKeyLayout::Create(config, "emb", {});
    const FieldBucketer bucketer(KeyKind::kInt64,
                                 static_cast<uint32_t>(config.storage_slice),
                                 false);
    return MigrateIntoRuntimeBuckets(store, *layout, bucketer, false, nullptr);
  }

  std::unique_ptr<redis_client::testing::RedisServers> servers_;
  std::shared_ptr<redis_client::RedisClient> client_;
};

TEST_P(BucketMigrationTest, NewStorageSliceRebucketsEveryKeyOnce) {
  const RedisTableConfig old_config = test_util::LayoutConfig(2, "v");
  Write(old_config, 3000);
  ASSERT_TRUE(Migrate(old_config, *test_util::MakeStore(client_, old_config,
                                                         "emb", 64))
                  .ok());  // records the layout

  for (int32_t slices : {3, 5, 1}) {
    const RedisTableConfig config = test_util::LayoutConfig(slices, "v");
    auto store = test_util::MakeStore(client_, config, "emb", 64);
    auto report = Migrate(config, *store);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_GT(report->keys_moved, 0) << slices << " slices";
    ExpectAllFound(*store, static_cast<uint32_t>(slices), 3000);
    auto buckets = client_->ScanKeys(BucketScanPattern("v:emb"));
    ASSERT_TRUE(buckets.ok());
    EXPECT_EQ(buckets->size(), static_cast<size_t>(slices));
  }
}

TEST_P(BucketMigrationTest, ImportTagIsCopiedIntoEmptyRuntimeAndKept) {
  const RedisTableConfig old_config = test_util::LayoutConfig(2, "old");
  Write(old_config, 500);
  RedisTableConfig config = test_util::LayoutConfig(3, "new");
  config.model_tag_import = "old";
  config.storage_slice_import = 2;
  auto store = test_util::MakeStore(client_, config, "emb", 64);
  auto report = Migrate(config, *store);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->keys_copied, 500);
  ExpectAllFound(*store, 3, 500);
  ExpectAllFound(*test_util::MakeStore(client_, old_config, "emb", 64), 2, 500);

  // A second start finds the runtime tag populated and copies nothing.
  auto again = Migrate(config, *store);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->keys_copied, 0);
}

INSTANTIATE_TEST_SUITE_P(AllModes, BucketMigrationTest,
                         ::testing::Values(Mode::kStandalone, Mode::kCluster),
                         client_util::ModeTestName);

}  // namespace
}  // namespace redis_table
}  // namespace tfra

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/renamed_table.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/bucket_migration.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/store_test_util.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_test_util.h"

namespace tfra {
namespace redis_table {
namespace {

using test_util::Int64Keys;

constexpr size_t kRows = 300;

// Slot tables renamed from their Keras 3 names to upstream's, in every mode.
class RenamedTableTest : public test_util::StoreTest {
 protected:
  // An opened table `name` of `slices` buckets under this test's model tag.
  std::unique_ptr<OpenedTable> Table(const std::string& name, int32_t slices) {
    auto table = std::make_unique<OpenedTable>();
    table->config = test_util::LayoutConfig(slices, tag_);
    table->store = test_util::MakeStore(client_, table->config, name, 64);
    auto layout = TableKeyLayout::Create(table->config, name, {});
    EXPECT_TRUE(layout.ok()) << layout.status().ToString();
    if (layout.ok()) table->layout = *layout;
    return table;
  }

  // Writes kRows keys (x `stride`) whose values are their own bytes.
  void Write(const OpenedTable& table, int64_t stride) {
    Int64Keys keys;
    test_util::MakeKeys(kRows, stride,
                        static_cast<uint32_t>(table.config.storage_slice), &keys);
    ASSERT_TRUE(table.store->Insert(keys.batch, keys.batch.fields, nullptr).ok());
  }

  // Every key written by Write(stride) is found once, with its own bytes.
  void ExpectRows(const OpenedTable& table, int64_t stride) {
    Int64Keys keys;
    test_util::MakeKeys(kRows, stride,
                        static_cast<uint32_t>(table.config.storage_slice), &keys);
    std::vector<int> hits(kRows, 0);
    ASSERT_TRUE(table.store
                    ->Find(keys.batch,
                           [&](size_t i, std::string_view stored) {
                             if (stored == keys.batch.fields[i]) ++hits[i];
                             return Status::Ok();
                           },
                           nullptr)
                    .ok());
    for (size_t i = 0; i < kRows; ++i) ASSERT_EQ(hits[i], 1) << "key #" << i;
    EXPECT_EQ(*table.store->Size(), static_cast<int64_t>(kRows));
  }

  std::vector<std::string> KeysMatching(const std::string& pattern) {
    auto keys = client_->ScanKeys(pattern);
    EXPECT_TRUE(keys.ok()) << keys.status().ToString();
    return keys.ok() ? *keys : std::vector<std::string>();
  }
};

TEST_P(RenamedTableTest, FormerBucketsBecomeTheEmptyTablesBuckets) {
  auto former = Table("emb_lk_momentum", 4);
  Write(*former, 7);
  auto table = Table("emb_lk_m", 4);

  auto report = AdoptRenamedTable(*table, "emb_lk_momentum", nullptr);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->buckets_renamed, 4);
  EXPECT_FALSE(report->kept_both);
  ExpectRows(*table, 7);
  EXPECT_TRUE(KeysMatching(tag_ + ":emb_lk_momentum*").empty());
  // The migration recorded the new table's layout.
  EXPECT_EQ(KeysMatching(LayoutRecordKey(tag_ + ":emb_lk_m")).size(), 1u);
}

TEST_P(RenamedTableTest, RowsOfAnotherBucketCountLandInTheirBuckets) {
  auto former = Table("emb_lk_momentum", 2);
  Write(*former, 5);
  auto table = Table("emb_lk_m", 3);

  auto report = AdoptRenamedTable(*table, "emb_lk_momentum", nullptr);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->buckets_renamed, 2);
  ExpectRows(*table, 5);
}

TEST_P(RenamedTableTest, ATableWithRowsKeepsThemAndLeavesTheFormerAlone) {
  auto former = Table("emb_lk_momentum", 4);
  Write(*former, 7);
  auto table = Table("emb_lk_m", 4);
  Write(*table, 11);

  auto report = AdoptRenamedTable(*table, "emb_lk_momentum", nullptr);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->kept_both);
  EXPECT_EQ(report->buckets_renamed, 0);
  ExpectRows(*table, 11);
  ExpectRows(*former, 7);
}

TEST_P(RenamedTableTest, NoFormerTableChangesNothing) {
  auto table = Table("emb_lk_m", 4);
  auto report = AdoptRenamedTable(*table, "emb_lk_momentum", nullptr);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->buckets_renamed, 0);
  EXPECT_FALSE(report->kept_both);
  EXPECT_TRUE(KeysMatching(tag_ + ":*").empty());
}

TEST_P(RenamedTableTest, ASecondAdoptionFindsNothingLeftToRename) {
  auto former = Table("emb_lk_momentum", 4);
  Write(*former, 7);
  auto first = Table("emb_lk_m", 4);
  ASSERT_TRUE(AdoptRenamedTable(*first, "emb_lk_momentum", nullptr).ok());

  // Another worker opening the same slot table afterwards.
  auto second = Table("emb_lk_m", 4);
  auto report = AdoptRenamedTable(*second, "emb_lk_momentum", nullptr);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->buckets_renamed, 0);
  EXPECT_FALSE(report->kept_both);
  ExpectRows(*second, 7);
}

INSTANTIATE_TEST_SUITE_P(AllModes, RenamedTableTest,
                         redis_client::test_util::EveryMode(),
                         redis_client::test_util::ModeTestName);

}  // namespace
}  // namespace redis_table
}  // namespace tfra

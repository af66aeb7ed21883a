#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/key_layout.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/md5.h"

namespace tfra {
namespace redis_table {
namespace {

using Strings = std::vector<std::string>;

const std::vector<SlotRange> kThreeMasters = {
    {0, 5460}, {5461, 10922}, {10923, 16383}};

std::string Hex(std::string_view bytes) {
  Md5Digest digest{};
  EXPECT_EQ(bytes.size(), digest.size());
  for (size_t i = 0; i < digest.size() && i < bytes.size(); ++i) {
    digest[i] = static_cast<uint8_t>(bytes[i]);
  }
  return Md5Hex(digest);
}

TableKeyLayout MustCreate(const RedisTableConfig& config,
                          std::string_view name,
                          const std::vector<SlotRange>& masters = {}) {
  Result<TableKeyLayout> layout = TableKeyLayout::Create(config, name, masters);
  EXPECT_TRUE(layout.ok()) << layout.status().ToString();
  return std::move(layout).value();
}

TEST(EmbeddingNameTest, CutsAtTheFirstMhtMarker) {
  EXPECT_EQ(EmbeddingNameFromTableName("user_emb_mht_1of2"), "user_emb");
  EXPECT_EQ(EmbeddingNameFromTableName("a_mht_b_mht_1of1"), "a");
  EXPECT_EQ(EmbeddingNameFromTableName("plain_name"), "plain_name");
  EXPECT_EQ(EmbeddingNameFromTableName("_mht_1of1"), "");
  EXPECT_EQ(EmbeddingNameFromTableName(""), "");
}

TEST(KeyPrefixTest, PlainPrefixIsTagColonName) {
  EXPECT_EQ(KeyPrefix("test", "emb", false), "test:emb");
  EXPECT_EQ(KeyPrefix("", "", false), ":");
}

TEST(KeyPrefixTest, Md5PrefixIsSixteenRawBytesOfUpstreamMd5) {
  const std::string prefix = KeyPrefix("test", "emb", true);
  ASSERT_EQ(prefix.size(), 16u);
  EXPECT_EQ(Hex(prefix), "de616a84e6038a7e305799743012152c");
}

TEST(BucketKeyTest, WrapsTheTagInBraces) {
  EXPECT_EQ(BucketKey("test:emb", "3560"), "test:emb{3560}");
  const std::string binary_prefix("\0{\xff", 3);
  EXPECT_EQ(BucketKey(binary_prefix, "1"), binary_prefix + "{1}");
}

TEST(GlobTest, EscapesMetacharactersOnly) {
  EXPECT_EQ(EscapeGlob("a*b?c[d]e\\f"), "a\\*b\\?c\\[d\\]e\\\\f");
  EXPECT_EQ(EscapeGlob("test:emb-1^{x}"), "test:emb-1^{x}");
  const std::string binary("\0\n", 2);
  EXPECT_EQ(EscapeGlob(binary), binary);
}

TEST(GlobTest, BucketPatternMatchesUpstreamForPlainNames) {
  EXPECT_EQ(BucketScanPattern("test:emb"), "test:emb{[0123456789]*}");
  EXPECT_EQ(BucketScanPattern("t:e*[1]"), "t:e\\*\\[1\\]{[0123456789]*}");
}

TEST(IsBucketOfTest, AcceptsThisTablesBuckets) {
  EXPECT_TRUE(IsBucketOf("test:emb", "test:emb{3560}"));
  EXPECT_TRUE(IsBucketOf("test:emb", "test:emb{0}"));
  EXPECT_TRUE(IsBucketOf("test:emb", "test:emb{1abc}"));
}

TEST(IsBucketOfTest, RejectsOtherTablesSharingThePrefix) {
  EXPECT_FALSE(IsBucketOf("test:emb", "test:emb2{3560}"));
  EXPECT_FALSE(IsBucketOf("test:emb", "test:emb_Adam_m{3560}"));
  EXPECT_FALSE(IsBucketOf("test:emb", "test:em{3560}"));
  EXPECT_FALSE(IsBucketOf("test:emb", "prod:emb{3560}"));
}

TEST(IsBucketOfTest, RejectsMalformedTags) {
  EXPECT_FALSE(IsBucketOf("test:emb", "test:emb"));
  EXPECT_FALSE(IsBucketOf("test:emb", "test:emb{}"));
  EXPECT_FALSE(IsBucketOf("test:emb", "test:emb{abc}"));
  EXPECT_FALSE(IsBucketOf("test:emb", "test:emb{1"));
  EXPECT_FALSE(IsBucketOf("test:emb", "test:emb{1}x"));
  EXPECT_FALSE(IsBucketOf("test:emb", "test:emb{1}{2}"));
  EXPECT_FALSE(IsBucketOf("test:emb", "test:emb{1{2}"));
  EXPECT_FALSE(IsBucketOf("test:emb", "test:emb1}"));
}

TEST(IsBucketOfTest, PrefixIsComparedAsBytes) {
  // MD5 prefixes may hold braces, NULs or glob characters.
  const std::string prefix("a{\0*}", 5);
  EXPECT_TRUE(IsBucketOf(prefix, prefix + "{7}"));
  EXPECT_FALSE(IsBucketOf(prefix, std::string("a{\0?}", 5) + "{7}"));
  const std::string md5_prefix = KeyPrefix("test", "emb", true);
  EXPECT_TRUE(IsBucketOf(md5_prefix, md5_prefix + "{3560}"));
}

TEST(TableKeyLayoutTest, DefaultConfigHasOneBucketOnSlotZero) {
  const TableKeyLayout layout = MustCreate(RedisTableConfig(), "emb");
  EXPECT_EQ(layout.runtime_prefix(), "test:emb");
  EXPECT_EQ(layout.import_prefix(), "test:emb");
  EXPECT_EQ(layout.runtime_buckets(), Strings({"test:emb{3560}"}));
  EXPECT_EQ(layout.import_buckets(), Strings({"test:emb{3560}"}));
  for (const std::string& bucket : layout.runtime_buckets()) {
    EXPECT_TRUE(IsBucketOf(layout.runtime_prefix(), bucket));
  }
}

TEST(TableKeyLayoutTest, RuntimeAndImportSidesAreIndependent) {
  RedisTableConfig config;
  config.model_tag_runtime = "v2";
  config.model_tag_import = "v1";
  config.storage_slice = 4;
  config.storage_slice_import = 2;
  const TableKeyLayout layout = MustCreate(config, "user");
  EXPECT_EQ(layout.runtime_buckets(),
            Strings({"v2:user{3560}", "v2:user{4129}", "v2:user{8209}",
                     "v2:user{356}"}));
  EXPECT_EQ(layout.import_buckets(),
            Strings({"v1:user{3560}", "v1:user{8209}"}));
}

TEST(TableKeyLayoutTest, ImportSliceDefaultsToStorageSlice) {
  RedisTableConfig config;
  config.storage_slice = 3;
  const TableKeyLayout layout = MustCreate(config, "e");
  EXPECT_EQ(layout.import_buckets(),
            Strings({"test:e{22179}", "test:e{450}", "test:e{18948}"}));
}

TEST(TableKeyLayoutTest, ExplicitTagsGetBraces) {
  RedisTableConfig config;
  config.storage_slice = 2;
  config.redis_hash_tags_runtime = {"{7}", "8"};
  const TableKeyLayout layout = MustCreate(config, "e");
  EXPECT_EQ(layout.runtime_buckets(), Strings({"test:e{7}", "test:e{8}"}));
  EXPECT_EQ(layout.import_buckets(),
            Strings({"test:e{3560}", "test:e{8209}"}));
}

TEST(TableKeyLayoutTest, ClusterModeFollowsTheTopology) {
  RedisTableConfig config;
  config.redis_connection_mode = redis_client::Mode::kCluster;
  config.storage_slice = 4;
  const TableKeyLayout layout = MustCreate(config, "e", kThreeMasters);
  EXPECT_EQ(layout.runtime_buckets(),
            Strings({"test:e{3560}", "test:e{18403}", "test:e{18948}",
                     "test:e{1866}"}));
}

TEST(TableKeyLayoutTest, HypodispersionAndOtherModesIgnoreTheTopology) {
  RedisTableConfig config;
  config.redis_connection_mode = redis_client::Mode::kCluster;
  config.redis_hash_tags_hypodispersion = true;
  config.storage_slice = 2;
  const Strings sequential = {"test:e{3560}", "test:e{8209}"};
  EXPECT_EQ(MustCreate(config, "e", kThreeMasters).runtime_buckets(),
            sequential);
  config.redis_hash_tags_hypodispersion = false;
  config.redis_connection_mode = redis_client::Mode::kSentinel;
  EXPECT_EQ(MustCreate(config, "e", kThreeMasters).runtime_buckets(),
            sequential);
  config.redis_connection_mode = redis_client::Mode::kCluster;
  EXPECT_EQ(MustCreate(config, "e", {}).runtime_buckets(), sequential);
}

TEST(TableKeyLayoutTest, Md5PrefixBuckets) {
  RedisTableConfig config;
  config.using_md5_prefix_name = true;
  const TableKeyLayout layout = MustCreate(config, "emb");
  ASSERT_EQ(layout.runtime_buckets().size(), 1u);
  EXPECT_EQ(layout.runtime_buckets()[0], layout.runtime_prefix() + "{3560}");
  EXPECT_EQ(Hex(layout.runtime_prefix()), "de616a84e6038a7e305799743012152c");
}

TEST(TableKeyLayoutTest, RejectsBadSliceCounts) {
  RedisTableConfig config;
  config.storage_slice = 0;
  EXPECT_EQ(TableKeyLayout::Create(config, "e", {}).status().code(),
            StatusCode::kInvalidArgument);
  config.storage_slice = 1;
  config.redis_connection_mode = redis_client::Mode::kCluster;
  EXPECT_EQ(TableKeyLayout::Create(config, "e", {{5, 1}}).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace redis_table
}  // namespace tfra

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/layout_record.h"

#include <string>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_factory.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_test_util.h"

namespace tfra {
namespace redis_table {
namespace {

namespace client_util = redis_client::test_util;

TEST(LayoutSignatureTest, ReadsBackWhatItWrites) {
  const std::vector<std::string> buckets = {"test:emb{3560}", "test:emb{8209}"};
  const std::string signature = LayoutSignature(buckets, true);
  EXPECT_EQ(signature,
            "using_hash_storage_slice=1\ntest:emb{3560}\ntest:emb{8209}");
  auto parsed = ParseLayoutSignature(signature, "test:emb");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_TRUE(parsed->using_hash);
  EXPECT_EQ(parsed->bucket_keys, buckets);
}

TEST(LayoutSignatureTest, BinaryPrefixWithNewlinesAndBracesSplitsRight) {
  const std::string prefix("\n{a}\0\n", 6);
  const std::vector<std::string> buckets = {prefix + "{3560}", prefix + "{1}"};
  auto parsed = ParseLayoutSignature(LayoutSignature(buckets, false), prefix);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_FALSE(parsed->using_hash);
  EXPECT_EQ(parsed->bucket_keys, buckets);
}

TEST(LayoutSignatureTest, ForeignTextIsInvalidArgument) {
  EXPECT_FALSE(ParseLayoutSignature("", "p").ok());
  EXPECT_FALSE(ParseLayoutSignature("using_hash_storage_slice=2", "p").ok());
  EXPECT_FALSE(
      ParseLayoutSignature("using_hash_storage_slice=0\nq{1}", "p").ok());
  EXPECT_FALSE(
      ParseLayoutSignature("using_hash_storage_slice=0\np{1", "p").ok());
  auto empty = ParseLayoutSignature("using_hash_storage_slice=0", "p");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->bucket_keys.empty());
}

class LayoutRecordTest : public ::testing::Test {
 protected:
  void SetUp() override {
    servers_ = client_util::StartServers(redis_client::Mode::kStandalone);
    ASSERT_NE(servers_, nullptr);
    auto client =
        redis_client::CreateClient(client_util::OptionsFor(*servers_));
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    client_ = std::move(client).value();
  }

  std::unique_ptr<redis_client::testing::RedisServers> servers_;
  std::unique_ptr<redis_client::RedisClient> client_;
};

TEST_F(LayoutRecordTest, MissingRecordReadsAsNone) {
  auto record = ReadLayoutRecord(*client_, LayoutRecordKey("t:none"));
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  EXPECT_FALSE(record->has_value());
}

TEST_F(LayoutRecordTest, IdentityIsRecordedAndUpdatedWhenItChanges) {
  const std::string key = LayoutRecordKey("t:emb");
  TableIdentity identity{"t", "emb",
                         TableSchema{KeyKind::kInt64, ElementType::kFloat16, 8}};
  ASSERT_TRUE(RecordTableIdentity(*client_, key, identity).ok());
  identity.schema.dim = 16;
  ASSERT_TRUE(RecordTableIdentity(*client_, key, identity).ok());

  auto record = ReadLayoutRecord(*client_, key);
  ASSERT_TRUE(record.ok() && record->has_value());
  const LayoutRecord& read = **record;
  EXPECT_EQ(read.model_tag, "t");
  EXPECT_EQ(read.embedding_name, "emb");
  ASSERT_TRUE(read.schema.has_value());
  EXPECT_EQ(read.schema->key_kind, KeyKind::kInt64);
  EXPECT_EQ(read.schema->value_type, ElementType::kFloat16);
  EXPECT_EQ(read.schema->dim, 16);
  EXPECT_FALSE(read.signature.has_value());
}

TEST_F(LayoutRecordTest, WrittenRecordReadsBackWhole) {
  const std::string key = LayoutRecordKey("t:copy");
  LayoutRecord record;
  record.signature = LayoutSignature({"t:copy{3560}"}, false);
  record.model_tag = "t";
  record.embedding_name = "copy";
  record.schema = TableSchema{KeyKind::kString, ElementType::kString, 3};
  ASSERT_TRUE(WriteLayoutRecord(*client_, key, record).ok());
  auto read = ReadLayoutRecord(*client_, key);
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_EQ((*read)->signature, record.signature);
  EXPECT_EQ((*read)->embedding_name, "copy");
  EXPECT_EQ((*read)->schema->value_type, ElementType::kString);
  EXPECT_EQ((*read)->schema->dim, 3);
  EXPECT_FALSE((*read)->value_encoding.has_value());  // raw: no field
}

TEST_F(LayoutRecordTest, ValueEncodingIsWrittenReadAndDeleted) {
  const std::string key = LayoutRecordKey("t:int8");
  LayoutRecord record;
  record.model_tag = "t";
  record.value_encoding = "int8";
  ASSERT_TRUE(WriteLayoutRecord(*client_, key, record).ok());
  auto read = ReadLayoutRecord(*client_, key);
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_EQ((*read)->value_encoding, "int8");
  auto field = ReadValueEncoding(*client_, key);
  ASSERT_TRUE(field.ok()) << field.status().ToString();
  EXPECT_EQ(*field, "int8");

  ASSERT_TRUE(WriteValueEncoding(*client_, key, "float16").ok());
  EXPECT_EQ(*ReadValueEncoding(*client_, key), "float16");
  ASSERT_TRUE(WriteValueEncoding(*client_, key, std::nullopt).ok());
  field = ReadValueEncoding(*client_, key);
  ASSERT_TRUE(field.ok());
  EXPECT_FALSE(field->has_value());
  read = ReadLayoutRecord(*client_, key);
  ASSERT_TRUE(read.ok() && read->has_value());  // the other fields stay
  EXPECT_FALSE((*read)->value_encoding.has_value());
  EXPECT_EQ((*read)->model_tag, "t");
}

}  // namespace
}  // namespace redis_table
}  // namespace tfra

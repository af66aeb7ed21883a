#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/field_bucketer.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/bucket_hash.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/value_codec.h"

namespace tfra {
namespace redis_table {
namespace {

TEST(FieldBucketerTest, AgreesWithTypedBucketsForEveryKeyKind) {
  for (bool using_hash : {false, true}) {
    const int64_t key64 = (int64_t{7} << 32) | 13;
    EXPECT_EQ(*FieldBucketer(KeyKind::kInt64, 5, using_hash)
                   .BucketOf(KeyBytes(key64)),
              KeyBucket(key64, 5, using_hash));
    const int32_t key32 = -3;
    EXPECT_EQ(*FieldBucketer(KeyKind::kInt32, 4, using_hash)
                   .BucketOf(KeyBytes(key32)),
              KeyBucket(key32, 4, using_hash));
    EXPECT_EQ(*FieldBucketer(KeyKind::kString, 3, using_hash).BucketOf("abc"),
              KeyBucket(std::string_view("abc"), 3, using_hash));
  }
}

TEST(FieldBucketerTest, NumericFieldOfWrongSizeIsAnError) {
  const auto bucket = FieldBucketer(KeyKind::kInt64, 2, false).BucketOf("abc");
  ASSERT_FALSE(bucket.ok());
  EXPECT_EQ(bucket.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace redis_table
}  // namespace tfra

#include "tensorflow_recommenders_addons/dynamic_embedding/core/kernels/redis_impl/key_grouping.h"

#include <vector>

#include "gtest/gtest.h"

namespace tfra {
namespace redis_table {
namespace {

TEST(GroupKeysByBucketTest, GroupsByBucketKeepingInputOrder) {
  const KeyGrouping grouping = GroupKeysByBucket({1, 0, 1, 2, 0}, 3, 10);
  EXPECT_EQ(grouping.order, (std::vector<size_t>{1, 4, 0, 2, 3}));
  ASSERT_EQ(grouping.chunks.size(), 3u);
  EXPECT_EQ(grouping.chunks[0].bucket, 0u);
  EXPECT_EQ(grouping.chunks[0].begin, 0u);
  EXPECT_EQ(grouping.chunks[0].end, 2u);
  EXPECT_EQ(grouping.chunks[1].bucket, 1u);
  EXPECT_EQ(grouping.chunks[2].bucket, 2u);
  EXPECT_EQ(grouping.chunks[2].end, 5u);
}

TEST(GroupKeysByBucketTest, CutsBucketsIntoChunksOfAtMostTheLimit) {
  std::vector<uint32_t> buckets(7, 0);
  buckets.push_back(1);
  const KeyGrouping grouping = GroupKeysByBucket(buckets, 2, 3);
  ASSERT_EQ(grouping.chunks.size(), 4u);
  EXPECT_EQ(grouping.chunks[0].end - grouping.chunks[0].begin, 3u);
  EXPECT_EQ(grouping.chunks[1].end - grouping.chunks[1].begin, 3u);
  EXPECT_EQ(grouping.chunks[2].end - grouping.chunks[2].begin, 1u);
  EXPECT_EQ(grouping.chunks[3].bucket, 1u);
}

TEST(GroupKeysByBucketTest, EmptyBucketsGetNoChunk) {
  const KeyGrouping grouping = GroupKeysByBucket({3, 3}, 4, 1024);
  ASSERT_EQ(grouping.chunks.size(), 1u);
  EXPECT_EQ(grouping.chunks[0].bucket, 3u);
}

TEST(GroupKeysByBucketTest, NoKeysNoChunks) {
  const KeyGrouping grouping = GroupKeysByBucket({}, 2, 1024);
  EXPECT_TRUE(grouping.order.empty());
  EXPECT_TRUE(grouping.chunks.empty());
}

}  // namespace
}  // namespace redis_table
}  // namespace tfra

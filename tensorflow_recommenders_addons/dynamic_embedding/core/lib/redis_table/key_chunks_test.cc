#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/key_chunks.h"

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"

namespace tfra {
namespace redis_table {
namespace {

TEST(ChunkKeysByBucketTest, GroupsByBucketKeepingInputOrder) {
  const KeyChunks chunked = ChunkKeysByBucket({1, 0, 1, 2, 0}, 3, 10);
  EXPECT_EQ(chunked.order, (std::vector<size_t>{1, 4, 0, 2, 3}));
  ASSERT_EQ(chunked.chunks.size(), 3u);
  EXPECT_EQ(chunked.chunks[0].bucket, 0u);
  EXPECT_EQ(chunked.chunks[0].begin, 0u);
  EXPECT_EQ(chunked.chunks[0].end, 2u);
  EXPECT_EQ(chunked.chunks[1].bucket, 1u);
  EXPECT_EQ(chunked.chunks[2].bucket, 2u);
  EXPECT_EQ(chunked.chunks[2].end, 5u);
}

TEST(ChunkKeysByBucketTest, CutsBucketsIntoChunksOfAtMostTheLimit) {
  std::vector<uint32_t> buckets(7, 0);
  buckets.push_back(1);
  const KeyChunks chunked = ChunkKeysByBucket(buckets, 2, 3);
  ASSERT_EQ(chunked.chunks.size(), 4u);
  EXPECT_EQ(chunked.chunks[0].end - chunked.chunks[0].begin, 3u);
  EXPECT_EQ(chunked.chunks[1].end - chunked.chunks[1].begin, 3u);
  EXPECT_EQ(chunked.chunks[2].end - chunked.chunks[2].begin, 1u);
  EXPECT_EQ(chunked.chunks[3].bucket, 1u);
}

TEST(ChunkKeysByBucketTest, EmptyBucketsGetNoChunk) {
  const KeyChunks chunked = ChunkKeysByBucket({3, 3}, 4, 1024);
  ASSERT_EQ(chunked.chunks.size(), 1u);
  EXPECT_EQ(chunked.chunks[0].bucket, 3u);
}

TEST(ChunkKeysByBucketTest, NoKeysNoChunks) {
  const KeyChunks chunked = ChunkKeysByBucket({}, 2, 1024);
  EXPECT_TRUE(chunked.order.empty());
  EXPECT_TRUE(chunked.chunks.empty());
}

// n distinct 8-byte fields "k0000000", "k0000001", ... and their storage.
std::vector<std::string_view> Fields(size_t n, std::vector<std::string>* own) {
  own->clear();
  for (size_t i = 0; i < n; ++i) {
    std::string text = std::to_string(i);
    own->push_back("k" + std::string(7 - text.size(), '0') + text);
  }
  return std::vector<std::string_view>(own->begin(), own->end());
}

// Every key index appears once in the plan's lanes, each chunk in one lane,
// lanes contiguous and in chunk order.
void ExpectCoversAllKeys(const LanePlan& plan, size_t keys) {
  size_t next_chunk = 0;
  std::multiset<size_t> seen;
  for (const auto& [first, last] : plan.lanes) {
    EXPECT_EQ(first, next_chunk);
    EXPECT_LT(first, last);
    for (size_t c = first; c < last; ++c) {
      const KeyChunk& chunk = plan.chunked.chunks[c];
      for (size_t i = chunk.begin; i < chunk.end; ++i) {
        seen.insert(plan.chunked.order[i]);
      }
    }
    next_chunk = last;
  }
  EXPECT_EQ(next_chunk, plan.chunked.chunks.size());
  ASSERT_EQ(seen.size(), keys);
  for (size_t i = 0; i < keys; ++i) EXPECT_EQ(seen.count(i), 1u);
}

TEST(PlanLanesTest, SmallBatchOnOneBucketIsOneLane) {
  std::vector<std::string> own;
  const LanePlan plan = PlanLanes(
      Fields(1024, &own), std::vector<uint32_t>(1024, 0), 1, 1024, 4, 4);
  ASSERT_EQ(plan.lanes.size(), 1u);
  EXPECT_EQ(plan.chunked.chunks.size(), 1u);
  ExpectCoversAllKeys(plan, 1024);
}

TEST(PlanLanesTest, BigBatchOnOneBucketIsSplitOverLanes) {
  std::vector<std::string> own;
  const size_t n = 16 * 1024;
  const LanePlan plan =
      PlanLanes(Fields(n, &own), std::vector<uint32_t>(n, 0), 1, 1024, 4, 4);
  EXPECT_EQ(plan.lanes.size(), 4u);
  for (const KeyChunk& chunk : plan.chunked.chunks) {
    EXPECT_EQ(chunk.bucket, 0u);
    EXPECT_LE(chunk.end - chunk.begin, 1024u);
  }
  ExpectCoversAllKeys(plan, n);
}

TEST(PlanLanesTest, CopiesOfAKeyStayInOneLaneInInputOrder) {
  std::vector<std::string> own;
  std::vector<std::string_view> fields = Fields(8192, &own);
  // Key "k0000007" also at positions 3000 and 8000 (last write wins).
  fields[3000] = fields[7];
  fields[8000] = fields[7];
  const LanePlan plan =
      PlanLanes(fields, std::vector<uint32_t>(fields.size(), 0), 1, 512, 4, 4);
  EXPECT_GT(plan.lanes.size(), 1u);
  std::vector<size_t> order_of_copies;
  std::set<size_t> lanes_of_copies;
  for (size_t l = 0; l < plan.lanes.size(); ++l) {
    for (size_t c = plan.lanes[l].first; c < plan.lanes[l].second; ++c) {
      const KeyChunk& chunk = plan.chunked.chunks[c];
      for (size_t i = chunk.begin; i < chunk.end; ++i) {
        const size_t key = plan.chunked.order[i];
        if (key == 7 || key == 3000 || key == 8000) {
          order_of_copies.push_back(key);
          lanes_of_copies.insert(l);
        }
      }
    }
  }
  EXPECT_EQ(lanes_of_copies.size(), 1u);
  EXPECT_EQ(order_of_copies, (std::vector<size_t>{7, 3000, 8000}));
  ExpectCoversAllKeys(plan, fields.size());
}

TEST(PlanLanesTest, LanesPerBucketAreCapped) {
  std::vector<std::string> own;
  const size_t n = 16 * 1024;
  const LanePlan plan =
      PlanLanes(Fields(n, &own), std::vector<uint32_t>(n, 0), 1, 1024, 4, 2);
  EXPECT_EQ(plan.lanes.size(), 2u);
  ExpectCoversAllKeys(plan, n);
}

TEST(PlanLanesTest, FewBucketsGetALaneEach) {
  std::vector<std::string> own;
  std::vector<uint32_t> buckets;
  for (size_t i = 0; i < 3000; ++i) buckets.push_back(i % 3);
  const LanePlan plan = PlanLanes(Fields(3000, &own), buckets, 3, 1024, 4, 4);
  ASSERT_EQ(plan.lanes.size(), 3u);
  for (size_t l = 0; l < 3; ++l) {
    for (size_t c = plan.lanes[l].first; c < plan.lanes[l].second; ++c) {
      EXPECT_EQ(plan.chunked.chunks[c].bucket, l);
    }
  }
  ExpectCoversAllKeys(plan, 3000);
}

TEST(PlanLanesTest, ManyBucketsShareAtMostMaxLanes) {
  std::vector<std::string> own;
  std::vector<uint32_t> buckets;
  for (size_t i = 0; i < 1000; ++i) buckets.push_back(i % 64);
  const LanePlan plan = PlanLanes(Fields(1000, &own), buckets, 64, 1024, 4, 4);
  EXPECT_EQ(plan.lanes.size(), 4u);
  EXPECT_EQ(plan.chunked.chunks.size(), 64u);
  ExpectCoversAllKeys(plan, 1000);
}

TEST(PlanLanesTest, OneLaneWhenMaxLanesIsOne) {
  std::vector<std::string> own;
  std::vector<uint32_t> buckets;
  for (size_t i = 0; i < 5000; ++i) buckets.push_back(i % 2);
  const LanePlan plan = PlanLanes(Fields(5000, &own), buckets, 2, 100, 1, 1);
  ASSERT_EQ(plan.lanes.size(), 1u);
  EXPECT_EQ(plan.chunked.chunks.size(), 50u);
  ExpectCoversAllKeys(plan, 5000);
}

}  // namespace
}  // namespace redis_table
}  // namespace tfra

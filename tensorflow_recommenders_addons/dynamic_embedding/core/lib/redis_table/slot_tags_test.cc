#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/slot_tags.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/hash_slot.h"

namespace tfra {
namespace redis_table {
namespace {

using Tags = std::vector<std::string>;

const std::vector<SlotRange> kThreeMasters = {
    {0, 5460}, {5461, 10922}, {10923, 16383}};

TEST(SlotTagTableTest, EveryTagHashesToItsSlot) {
  const std::vector<uint32_t>& table = SlotTagTable();
  ASSERT_EQ(table.size(), kNumClusterSlots);
  for (uint32_t slot = 0; slot < kNumClusterSlots; ++slot) {
    ASSERT_EQ(redis_client::HashSlot(std::to_string(table[slot])), slot)
        << "T[" << slot << "] = " << table[slot];
  }
}

TEST(SlotTagTableTest, EveryTagIsTheSmallestForItsSlot) {
  // Minimality, checked from the other side: no integer below T[s] hashes
  // to s, i.e. every n maps to a slot whose tag is <= n.
  const std::vector<uint32_t>& table = SlotTagTable();
  uint32_t largest = 0;
  for (uint32_t tag : table) largest = std::max(largest, tag);
  for (uint32_t n = 0; n <= largest; ++n) {
    ASSERT_LE(table[redis_client::HashSlot(std::to_string(n))], n) << n;
  }
  EXPECT_EQ(largest, 109757u);
}

TEST(SlotTagTableTest, PinnedValues) {
  EXPECT_EQ(SlotTag(0), 3560u);
  EXPECT_EQ(SlotTag(1), 22179u);
  EXPECT_EQ(SlotTag(2), 48756u);
  EXPECT_EQ(SlotTag(100), 48063u);
  EXPECT_EQ(SlotTag(5461), 18403u);
  EXPECT_EQ(SlotTag(10923), 18948u);
  EXPECT_EQ(SlotTag(16383), 39296u);
}

TEST(SlotTagTableTest, SecondCallReturnsTheSameTable) {
  EXPECT_EQ(&SlotTagTable(), &SlotTagTable());
}

TEST(BraceTagTest, AddsMissingBracesOnly) {
  EXPECT_EQ(BraceTag("3560"), "{3560}");
  EXPECT_EQ(BraceTag("{3560"), "{3560}");
  EXPECT_EQ(BraceTag("3560}"), "{3560}");
  EXPECT_EQ(BraceTag("{3560}"), "{3560}");
  EXPECT_EQ(BraceTag("a"), "{a}");
  EXPECT_EQ(BraceTag(""), "{}");
}

TEST(SequentialHashTagsTest, SpecExamples) {
  EXPECT_EQ(SequentialHashTags(1), Tags({"{3560}"}));
  EXPECT_EQ(SequentialHashTags(2), Tags({"{3560}", "{8209}"}));
  EXPECT_EQ(SequentialHashTags(3), Tags({"{22179}", "{450}", "{18948}"}));
  EXPECT_EQ(SequentialHashTags(4),
            Tags({"{3560}", "{4129}", "{8209}", "{356}"}));
  EXPECT_EQ(SequentialHashTags(5),
            Tags({"{4569}", "{15198}", "{15159}", "{89560}", "{470}"}));
}

TEST(SequentialHashTagsTest, OneBucketPerSlotAtTheMaximum) {
  const Tags tags = SequentialHashTags(kNumClusterSlots);
  ASSERT_EQ(tags.size(), kNumClusterSlots);
  EXPECT_EQ(tags[0], "{3560}");
  EXPECT_EQ(tags[1], "{22179}");
  EXPECT_EQ(tags[16383], "{39296}");
}

TEST(TopologyHashTagsTest, ThreeMastersSpecExamples) {
  EXPECT_EQ(*TopologyHashTags(2, kThreeMasters), Tags({"{3560}", "{18403}"}));
  EXPECT_EQ(*TopologyHashTags(3, kThreeMasters),
            Tags({"{3560}", "{18403}", "{18948}"}));
  EXPECT_EQ(*TopologyHashTags(4, kThreeMasters),
            Tags({"{3560}", "{18403}", "{18948}", "{1866}"}));
  EXPECT_EQ(*TopologyHashTags(5, kThreeMasters),
            Tags({"{3560}", "{18403}", "{18948}", "{46960}", "{46092}"}));
}

TEST(TopologyHashTagsTest, SortsAndDeduplicatesMasters) {
  const std::vector<SlotRange> shuffled = {
      {10923, 16383}, {0, 5460}, {5461, 10922}, {0, 5460}};
  EXPECT_EQ(*TopologyHashTags(4, shuffled),
            *TopologyHashTags(4, kThreeMasters));
}

TEST(TopologyHashTagsTest, MoreMastersThanBucketsUsesFirstMasters) {
  const std::vector<SlotRange> four = {
      {0, 4095}, {4096, 8191}, {8192, 12287}, {12288, 16383}};
  EXPECT_EQ(*TopologyHashTags(2, four), Tags({"{3560}", "{4129}"}));
}

TEST(TopologyHashTagsTest, EveryTagLandsInsideItsMaster) {
  const Tags tags = *TopologyHashTags(64, kThreeMasters);
  for (size_t i = 0; i < tags.size(); ++i) {
    const SlotRange& master = kThreeMasters[i % 3];
    const uint32_t slot = redis_client::HashSlot(tags[i]);
    EXPECT_GE(slot, master.first) << tags[i];
    EXPECT_LE(slot, master.last) << tags[i];
  }
}

TEST(TopologyHashTagsTest, RejectsBadInput) {
  EXPECT_FALSE(TopologyHashTags(2, {}).ok());
  EXPECT_FALSE(TopologyHashTags(0, kThreeMasters).ok());
  EXPECT_FALSE(TopologyHashTags(2, {{10, 5}}).ok());
  const auto out_of_range = TopologyHashTags(2, {{0, 16384}});
  ASSERT_FALSE(out_of_range.ok());
  EXPECT_NE(out_of_range.status().message().find("0-16384"),
            std::string::npos);
}

TEST(BucketHashTagsTest, ExplicitTagsWinWhenCountMatches) {
  EXPECT_EQ(*BucketHashTags(2, {"1", "{2}"}, kThreeMasters),
            Tags({"{1}", "{2}"}));
}

TEST(BucketHashTagsTest, ExplicitTagsOfOtherLengthAreIgnored) {
  EXPECT_EQ(*BucketHashTags(2, {"1"}, {}), Tags({"{3560}", "{8209}"}));
}

TEST(BucketHashTagsTest, TopologyWhenMastersGiven) {
  EXPECT_EQ(*BucketHashTags(2, {}, kThreeMasters),
            Tags({"{3560}", "{18403}"}));
}

TEST(BucketHashTagsTest, DefaultIsOneBucketOnSlotZero) {
  EXPECT_EQ(*BucketHashTags(1, {}, {}), Tags({"{3560}"}));
}

TEST(BucketHashTagsTest, RejectsSliceCountsWithoutTags) {
  EXPECT_EQ(BucketHashTags(0, {}, {}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(BucketHashTags(16385, {}, {}).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace redis_table
}  // namespace tfra

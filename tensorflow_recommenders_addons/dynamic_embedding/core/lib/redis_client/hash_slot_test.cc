#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/hash_slot.h"

#include <string>

#include "gtest/gtest.h"

namespace tfra {
namespace redis_client {
namespace {

TEST(Crc16Test, MatchesTheReferenceCheckValue) {
  // The Redis Cluster specification gives CRC16("123456789") = 0x31C3.
  const std::string input = "123456789";
  EXPECT_EQ(Crc16(input.data(), input.size()), 0x31C3);
}

TEST(HashSlotTest, MatchesSlotsReportedByRedisClusterKeyslot) {
  // Values from `CLUSTER KEYSLOT` on a Redis 7.0 server.
  EXPECT_EQ(HashSlot("foo"), 12182);
  EXPECT_EQ(HashSlot("bar"), 5061);
  EXPECT_EQ(HashSlot("3560"), 0);
}

TEST(HashSlotTest, HashesOnlyTheFirstNonEmptyTag) {
  EXPECT_EQ(HashSlot("test:emb{3560}"), HashSlot("3560"));
  EXPECT_EQ(HashSlot("{user1000}.following"), HashSlot("user1000"));
  EXPECT_EQ(HashSlot("foo{}{bar}"), HashSlot("foo{}{bar}"));
  EXPECT_NE(HashSlot("foo{}{bar}"), HashSlot("bar"));
  EXPECT_EQ(HashSlot("foo{{bar}}zap"), HashSlot("{bar"));
  EXPECT_EQ(HashSlot("foo{bar}{zap}"), HashSlot("bar"));
}

TEST(HashSlotTest, KeyWithoutClosingBraceHashesWhole) {
  EXPECT_EQ(HashTagOf("abc{def"), "abc{def");
}

}  // namespace
}  // namespace redis_client
}  // namespace tfra

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/sha1.h"

#include <string>

#include "gtest/gtest.h"

namespace tfra {
namespace redis_table {
namespace {

TEST(Sha1HexTest, MatchesFips180Vectors) {
  EXPECT_EQ(Sha1Hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(Sha1Hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  // 56 bytes: the length no longer fits the first block.
  EXPECT_EQ(
      Sha1Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
      "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(Sha1Hex(std::string(1000000, 'a')),
            "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

// Messages of 55, 56 and 64 bytes: the padding fits the block, spills into
// a second one, or follows a full block.
TEST(Sha1HexTest, PaddingAtTheBlockBoundaries) {
  EXPECT_EQ(Sha1Hex(std::string(55, 'a')),
            "c1c8bbdc22796e28c0e15163d20899b65621d65a");
  EXPECT_EQ(Sha1Hex(std::string(56, 'a')),
            "c2db330f6083854c99d4b5bfb6e8f29f201be699");
  EXPECT_EQ(Sha1Hex(std::string(64, 'a')),
            "0098ba824b5c16427bd7a1122a5a442a25ec644d");
}

}  // namespace
}  // namespace redis_table
}  // namespace tfra

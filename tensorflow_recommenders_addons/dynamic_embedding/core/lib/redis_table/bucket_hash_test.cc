#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/bucket_hash.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/crc32c.h"

namespace tfra {
namespace redis_table {
namespace {

TEST(KeyBucketTest, Int32KeysUseUnsignedRemainder) {
  EXPECT_EQ(KeyBucket(int32_t{7}, 3, false), 1u);
  EXPECT_EQ(KeyBucket(int32_t{0}, 5, false), 0u);
  // -1 wraps to 0xFFFFFFFF = 4294967295; 4294967295 % 7 = 3.
  EXPECT_EQ(KeyBucket(int32_t{-1}, 7, false), 3u);
  // Any S, not only powers of two.
  EXPECT_EQ(KeyBucket(int32_t{100}, 6, false), 4u);
}

TEST(KeyBucketTest, Int64KeysUseLow32BitsRemainder) {
  EXPECT_EQ(KeyBucket(int64_t{7}, 3, false), 1u);
  // High half ignored: 2^32 + 5 behaves like 5.
  EXPECT_EQ(KeyBucket(int64_t{(int64_t{1} << 32) + 5}, 3, false), 2u);
  // -1 has low half 0xFFFFFFFF.
  EXPECT_EQ(KeyBucket(int64_t{-1}, 7, false), 3u);
  // -2^32 has low half 0.
  EXPECT_EQ(KeyBucket(int64_t{-(int64_t{1} << 32)}, 7, false), 0u);
}

TEST(KeyBucketTest, HashedNumericKeysUseUpstreamCrcVectors) {
  // Vectors of spec 4.4 (CRC-32C, init 0xFFFFFFFF, no final inversion).
  EXPECT_EQ(KeyBucket(int64_t{0}, 7, true), 0x73d74d75u % 7);
  EXPECT_EQ(KeyBucket(int64_t{1}, 7, true), 0x3aeb3052u % 7);
  EXPECT_EQ(KeyBucket(int64_t{2}, 10, true), 0xe1afb73bu % 10);
  EXPECT_EQ(KeyBucket(int64_t{3}, 10, true), 0xa893ca1cu % 10);
  EXPECT_EQ(KeyBucket(int32_t{0}, 9, true), 0xb798b438u % 9);
  EXPECT_EQ(KeyBucket(int32_t{-1}, 9, true), 0u);
}

TEST(KeyBucketTest, HashFlagChangesPlacement) {
  // Key 1 goes to bucket 1 by remainder but 0x3aeb3052 % 4 = 2 by hash.
  EXPECT_EQ(KeyBucket(int64_t{1}, 4, false), 1u);
  EXPECT_EQ(KeyBucket(int64_t{1}, 4, true), 2u);
}

TEST(KeyBucketTest, SingleBucketIsAlwaysZero) {
  EXPECT_EQ(KeyBucket(int64_t{123456789}, 1, false), 0u);
  EXPECT_EQ(KeyBucket(int32_t{-5}, 1, true), 0u);
  EXPECT_EQ(KeyBucket(std::string_view("abc"), 1, false), 0u);
}

TEST(KeyBucketTest, StringKeysHashTheirCharacters) {
  EXPECT_EQ(KeyBucket(std::string_view("123456789"), 1000, false),
            (~0xE3069283u) % 1000);
  EXPECT_EQ(KeyBucket(std::string_view(""), 7, false), 0xFFFFFFFFu % 7);
  // The flag does not matter for strings.
  EXPECT_EQ(KeyBucket(std::string_view("user:42"), 13, false),
            KeyBucket(std::string_view("user:42"), 13, true));
}

TEST(KeyBucketTest, StringKeysAreBinarySafe) {
  const std::string with_nul("a\0b", 3);
  EXPECT_EQ(KeyBucket(std::string_view(with_nul), 1u << 31, false),
            TfraBucketCrc32c(with_nul) % (1u << 31));
  EXPECT_NE(KeyBucket(std::string_view(with_nul), 1u << 31, false),
            KeyBucket(std::string_view("a"), 1u << 31, false));
}

TEST(TfraStringKeyTest, HashedBytesFollowSmallTstringLayout) {
  EXPECT_EQ(*TfraStringKeyHashedBytes(""), "");
  EXPECT_EQ(*TfraStringKeyHashedBytes("a"), std::string(1, '\x04'));
  EXPECT_EQ(*TfraStringKeyHashedBytes("abc"), std::string("\x0c" "ab"));
  EXPECT_EQ(TfraStringKeyHashedBytes(std::string(22, 'x'))->size(), 22u);
  EXPECT_EQ((*TfraStringKeyHashedBytes(std::string(22, 'x')))[0], '\x58');
}

TEST(TfraStringKeyTest, CrcVectors) {
  // "abc" and "" from the spec; the others were checked against the bytes
  // of real tstring objects built with TensorFlow's ctstring.h.
  EXPECT_EQ(*TfraStringKeyCrc("abc"), 0x2ad798beu);
  EXPECT_EQ(*TfraStringKeyCrc(""), 0xFFFFFFFFu);
  EXPECT_EQ(*TfraStringKeyCrc("a"), 0x6a183bb1u);
  EXPECT_EQ(*TfraStringKeyCrc("hello world"), 0x9cb6b919u);
  EXPECT_EQ(*TfraStringKeyCrc(std::string(22, 'x')), 0x7ae12686u);
}

TEST(TfraStringKeyTest, LongKeysAreNotReproducible) {
  EXPECT_FALSE(TfraStringKeyHashedBytes(std::string(23, 'x')).has_value());
  EXPECT_FALSE(TfraStringKeyCrc(std::string(23, 'x')).has_value());
  EXPECT_FALSE(TfraStringKeyBucket(std::string(100, 'x'), 4).has_value());
}

TEST(TfraStringKeyTest, BucketIsCrcModSlices) {
  EXPECT_EQ(*TfraStringKeyBucket("abc", 5), 0x2ad798beu % 5);
  EXPECT_EQ(*TfraStringKeyBucket("", 5), 0xFFFFFFFFu % 5);
}

TEST(TfraStringKeyTest, DiffersFromOurStringBucketing) {
  // Documents the deliberate incompatibility: same key, other bucket.
  EXPECT_NE(*TfraStringKeyCrc("abc"), TfraBucketCrc32c("abc"));
}

}  // namespace
}  // namespace redis_table
}  // namespace tfra

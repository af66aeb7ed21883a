#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/crc32c.h"

#include <cstdint>
#include <cstring>
#include <string>

#include "gtest/gtest.h"

namespace tfra {
namespace redis_table {
namespace {

template <typename T>
std::string RawBytes(T value) {
  std::string bytes(sizeof(T), '\0');
  std::memcpy(bytes.data(), &value, sizeof(T));
  return bytes;
}

TEST(Crc32cTest, StandardCheckValue) {
  // The "check" value of the CRC-32C catalogue entry.
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
}

TEST(Crc32cTest, Rfc3720Vectors) {
  // RFC 3720 (iSCSI) appendix B.4.
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(std::string(32, '\xFF')), 0x62A8AB43u);
  std::string ascending(32, '\0');
  std::string descending(32, '\0');
  for (int i = 0; i < 32; ++i) {
    ascending[i] = static_cast<char>(i);
    descending[i] = static_cast<char>(31 - i);
  }
  EXPECT_EQ(Crc32c(ascending), 0x46DD794Eu);
  EXPECT_EQ(Crc32c(descending), 0x113FDB5Cu);
}

TEST(Crc32cTest, EmptyInput) {
  EXPECT_EQ(Crc32c(""), 0x00000000u);
  EXPECT_EQ(TfraBucketCrc32c(""), 0xFFFFFFFFu);
}

TEST(Crc32cTest, ExtendInPiecesEqualsExtendOnce) {
  const std::string data = "The quick brown fox jumps over the lazy dog";
  uint32_t crc = 0xFFFFFFFFu;
  crc = Crc32cExtend(crc, data.data(), 10);
  crc = Crc32cExtend(crc, data.data() + 10, data.size() - 10);
  EXPECT_EQ(~crc, Crc32c(data));
  EXPECT_EQ(Crc32c(data), 0x22620404u);
}

TEST(Crc32cTest, TfraVariantIsInvertedStandard) {
  for (const std::string data : {"a", "abc", "123456789", "test:emb{3560}"}) {
    EXPECT_EQ(TfraBucketCrc32c(data), ~Crc32c(data)) << data;
  }
}

TEST(Crc32cTest, TfraVariantInt64KeyVectors) {
  // Little-endian int64 keys, as upstream hashes them (spec 4.4).
  EXPECT_EQ(TfraBucketCrc32c(RawBytes<int64_t>(0)), 0x73d74d75u);
  EXPECT_EQ(TfraBucketCrc32c(RawBytes<int64_t>(1)), 0x3aeb3052u);
  EXPECT_EQ(TfraBucketCrc32c(RawBytes<int64_t>(2)), 0xe1afb73bu);
  EXPECT_EQ(TfraBucketCrc32c(RawBytes<int64_t>(3)), 0xa893ca1cu);
}

TEST(Crc32cTest, TfraVariantInt32KeyVectors) {
  EXPECT_EQ(TfraBucketCrc32c(RawBytes<int32_t>(0)), 0xb798b438u);
  EXPECT_EQ(TfraBucketCrc32c(RawBytes<int32_t>(-1)), 0x00000000u);
}

}  // namespace
}  // namespace redis_table
}  // namespace tfra

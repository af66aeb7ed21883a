#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/value_codec.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tfra {
namespace redis_table {
namespace {

// Stand-in for Eigen::half / bfloat16: any 2-byte trivially copyable type.
struct TwoBytes {
  uint16_t bits;
};

std::vector<std::string> DecodeAll(std::string_view stored, size_t dim,
                                   Status* status) {
  std::vector<std::string> out(dim, "<unset>");
  *status = DecodeStringRow(stored, dim, [&](size_t i, std::string_view e) {
    out[i] = std::string(e);
  });
  return out;
}

TEST(KeyCodecTest, NumericKeysAreLittleEndianTwosComplement) {
  const int32_t k32 = -2;
  EXPECT_EQ(KeyBytes(k32), std::string("\xfe\xff\xff\xff", 4));
  const int64_t k64 = 0x0102030405060708;
  EXPECT_EQ(KeyBytes(k64), std::string("\x08\x07\x06\x05\x04\x03\x02\x01", 8));
}

TEST(KeyCodecTest, KeyBytesViewTheKeyItself) {
  const int64_t key = 42;
  EXPECT_EQ(static_cast<const void*>(KeyBytes(key).data()),
            static_cast<const void*>(&key));
}

TEST(KeyCodecTest, StringKeysAreRawBytes) {
  const std::string key("a\0b", 3);
  EXPECT_EQ(KeyBytes(std::string_view(key)), key);
}

TEST(KeyCodecTest, DecodeRoundTrips) {
  const int64_t original = -123456789012345;
  int64_t decoded = 0;
  ASSERT_TRUE(DecodeKey(KeyBytes(original), &decoded).ok());
  EXPECT_EQ(decoded, original);
  const int32_t small = -7;
  int32_t small_decoded = 0;
  ASSERT_TRUE(DecodeKey(KeyBytes(small), &small_decoded).ok());
  EXPECT_EQ(small_decoded, small);
}

TEST(KeyCodecTest, DecodeRejectsWrongWidth) {
  int64_t key = 5;
  const Status status =
      DecodeKey(std::string_view("\x01\x00\x00\x00", 4), &key);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("has 4 bytes, expected 8"),
            std::string::npos);
  EXPECT_EQ(key, 5);
}

TEST(PodRowTest, FloatRowBytesAreRawMemory) {
  const float row[2] = {1.0f, -2.0f};
  EXPECT_EQ(PodRowBytes(row, 2),
            std::string("\x00\x00\x80\x3f\x00\x00\x00\xc0", 8));
}

TEST(PodRowTest, RoundTripsEveryElementWidth) {
  const double doubles[3] = {0.5, -1.25, 1e300};
  double doubles_out[3] = {};
  ASSERT_TRUE(DecodePodRow(PodRowBytes(doubles, 3), 3, doubles_out).ok());
  EXPECT_EQ(doubles_out[2], 1e300);

  const int8_t bytes[4] = {-1, 0, 1, 127};
  int8_t bytes_out[4] = {};
  ASSERT_TRUE(DecodePodRow(PodRowBytes(bytes, 4), 4, bytes_out).ok());
  EXPECT_EQ(bytes_out[0], -1);

  const TwoBytes halves[2] = {{0x3c00}, {0xc000}};  // 1.0, -2.0 as binary16
  EXPECT_EQ(PodRowBytes(halves, 2), std::string("\x00\x3c\x00\xc0", 4));
  TwoBytes halves_out[2] = {};
  ASSERT_TRUE(DecodePodRow(PodRowBytes(halves, 2), 2, halves_out).ok());
  EXPECT_EQ(halves_out[1].bits, 0xc000);

  const bool flags[3] = {true, false, true};
  bool flags_out[3] = {};
  ASSERT_TRUE(DecodePodRow(PodRowBytes(flags, 3), 3, flags_out).ok());
  EXPECT_TRUE(flags_out[2]);
}

TEST(PodRowTest, WrongSizeNamesExpectedAndActualAndWritesNothing) {
  const float stored[3] = {1, 2, 3};
  float out[4] = {9, 9, 9, 9};
  const Status status = DecodePodRow(PodRowBytes(stored, 3), 4, out);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("has 12 bytes, expected 16"),
            std::string::npos);
  EXPECT_NE(status.message().find("dim 4 x 4-byte"), std::string::npos);
  EXPECT_EQ(out[0], 9);
  // Longer than expected is refused too (upstream would silently truncate).
  float small_out[2] = {};
  EXPECT_FALSE(DecodePodRow(PodRowBytes(stored, 3), 2, small_out).ok());
}

TEST(StringRowTest, EncodingMatchesUpstreamFraming) {
  const std::string_view row[3] = {"ab", "", "xyz"};
  std::string out = "prefix";
  ASSERT_TRUE(AppendStringRow(row, 3, &out).ok());
  EXPECT_EQ(out, std::string("prefix"
                             "\x02\x00\x00\x00" "ab"
                             "\x00\x00\x00\x00"
                             "\x03\x00\x00\x00" "xyz",
                             6 + 4 + 2 + 4 + 4 + 3));
  EXPECT_EQ(StringRowEncodedSize(row, 3), 17u);
}

TEST(StringRowTest, RoundTripsBinaryElements) {
  const std::string binary("\0\xff\n", 3);
  const std::string long_text(300, 'q');
  const std::string_view row[2] = {binary, long_text};
  std::string encoded;
  ASSERT_TRUE(AppendStringRow(row, 2, &encoded).ok());
  Status status;
  const std::vector<std::string> decoded = DecodeAll(encoded, 2, &status);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(decoded[0], binary);
  EXPECT_EQ(decoded[1], long_text);
}

TEST(StringRowTest, ZeroDimIsEmpty) {
  std::string encoded;
  ASSERT_TRUE(AppendStringRow(nullptr, 0, &encoded).ok());
  EXPECT_TRUE(encoded.empty());
  Status status;
  DecodeAll("", 0, &status);
  EXPECT_TRUE(status.ok());
  DecodeAll("x", 0, &status);
  EXPECT_FALSE(status.ok());
}

TEST(StringRowTest, TruncatedLengthPrefixIsAnError) {
  Status status;
  const auto out = DecodeAll(std::string("\x01\x00\x00\x00" "a" "\x01\x00", 7),
                             2, &status);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("element 1 of 2 needs a 4-byte length"),
            std::string::npos);
  EXPECT_EQ(out[0], "<unset>");  // nothing written on error
}

TEST(StringRowTest, LengthPastTheEndIsAnErrorNotAnOverRead) {
  Status status;
  DecodeAll(std::string("\xff\xff\xff\x7f" "abc", 7), 1, &status);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("declares 2147483647 bytes, 3 bytes left"),
            std::string::npos);
}

TEST(StringRowTest, TrailingBytesMeanAnotherDim) {
  const std::string_view row[2] = {"a", "b"};
  std::string encoded;
  ASSERT_TRUE(AppendStringRow(row, 2, &encoded).ok());
  Status status;
  DecodeAll(encoded, 1, &status);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("5 bytes after its 1 elements"),
            std::string::npos);
}

TEST(StringRowTest, OversizedElementIsRejectedBeforeAnyRead) {
  // Only size() is consulted; the bytes are never touched.
  const char byte = 'x';
  const std::string_view huge(&byte, size_t{1} << 32);
  std::string out = "keep";
  const Status status = AppendStringRow(&huge, 1, &out);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(out, "keep");
}

}  // namespace
}  // namespace redis_table
}  // namespace tfra

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/row_encoding.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tfra {
namespace redis_table {
namespace {

constexpr RowEncoding kAll[] = {RowEncoding::kRaw, RowEncoding::kFloat16,
                                RowEncoding::kBfloat16, RowEncoding::kInt8};

std::vector<float> RoundTrip(RowEncoding encoding,
                             const std::vector<float>& row) {
  std::string stored(EncodedRowBytes(encoding, row.size()), '\0');
  EncodeFloatRow(encoding, row.data(), row.size(), stored.data());
  std::vector<float> back(row.size());
  const Status status =
      DecodeFloatRow(encoding, stored, row.size(), back.data());
  EXPECT_TRUE(status.ok()) << status.ToString();
  return back;
}

TEST(RowEncodingTest, NamesAndSizes) {
  for (RowEncoding encoding : kAll) {
    RowEncoding parsed = RowEncoding::kRaw;
    ASSERT_TRUE(RowEncodingFromName(RowEncodingName(encoding), &parsed));
    EXPECT_EQ(parsed, encoding);
    EXPECT_NE(RowEncodingNames().find(RowEncodingName(encoding)),
              std::string_view::npos);
  }
  RowEncoding parsed;
  EXPECT_FALSE(RowEncodingFromName("fp16", &parsed));
  EXPECT_FALSE(RowEncodingFromName("", &parsed));
  EXPECT_EQ(EncodedRowBytes(RowEncoding::kRaw, 64), 256u);
  EXPECT_EQ(EncodedRowBytes(RowEncoding::kFloat16, 64), 128u);
  EXPECT_EQ(EncodedRowBytes(RowEncoding::kBfloat16, 64), 128u);
  EXPECT_EQ(EncodedRowBytes(RowEncoding::kInt8, 64), 68u);
}

TEST(RowEncodingTest, EveryHalfSurvivesARoundTripThroughFloat) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const uint16_t half = static_cast<uint16_t>(bits);
    const float value = HalfToFloat(half);
    if (std::isnan(value)) {
      EXPECT_TRUE(std::isnan(HalfToFloat(FloatToHalf(value)))) << bits;
    } else {
      EXPECT_EQ(FloatToHalf(value), half) << bits;
    }
  }
}

TEST(RowEncodingTest, FloatToHalfRoundsToNearestEven) {
  EXPECT_EQ(FloatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(FloatToHalf(65504.0f), 0x7bff);  // the largest half
  EXPECT_EQ(FloatToHalf(65519.99f), 0x7bff);
  EXPECT_EQ(FloatToHalf(65520.0f), 0x7c00);  // a tie, to even: infinity
  EXPECT_EQ(FloatToHalf(-1e9f), 0xfc00);
  EXPECT_EQ(FloatToHalf(0x1p-24f), 0x0001);  // the smallest subnormal
  EXPECT_EQ(FloatToHalf(0x1p-25f), 0x0000);  // a tie, to even: zero
  EXPECT_EQ(FloatToHalf(0x1.8p-25f), 0x0001);
  EXPECT_EQ(FloatToHalf(0x1.8p-24f), 0x0002);  // 1.5 units: tie to even 2
  EXPECT_EQ(FloatToHalf(1.0f + 0x1p-11f), 0x3c00);  // tie: stays even
  EXPECT_EQ(FloatToHalf(1.0f + 0x1.8p-10f), 0x3c02);  // tie: up to even
  EXPECT_EQ(FloatToHalf(-0.0f), 0x8000);
  // Against the nearest half found by search, for random floats.
  std::mt19937 random(11);
  std::uniform_real_distribution<float> mantissa(0.5f, 1.0f);
  std::uniform_int_distribution<int> exponent(-27, 15);  // below 2^15
  for (int i = 0; i < 20000; ++i) {
    const float x = std::ldexp(mantissa(random), exponent(random));
    const uint16_t h = FloatToHalf(x);
    const double error = std::fabs(double{HalfToFloat(h)} - x);
    for (int step : {-1, 1}) {
      const uint16_t other = static_cast<uint16_t>(h + step);
      if (other >= 0x7c00) continue;
      const double other_error = std::fabs(double{HalfToFloat(other)} - x);
      EXPECT_TRUE(error < other_error ||
                  (error == other_error && (h & 1) == 0))
          << x << " -> " << h;
    }
  }
}

TEST(RowEncodingTest, Bfloat16KeepsTheUpperHalfRoundedToNearestEven) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const float value = Bfloat16ToFloat(static_cast<uint16_t>(bits));
    if (!std::isnan(value)) {
      EXPECT_EQ(FloatToBfloat16(value), bits) << bits;
    }
  }
  EXPECT_EQ(FloatToBfloat16(1.0f + 0x1p-8f), 0x3f80);        // tie: even
  EXPECT_EQ(FloatToBfloat16(1.0f + 0x1.8p-7f), 0x3f82);      // tie: even
  EXPECT_EQ(FloatToBfloat16(1.0f + 0x1.2p-8f), 0x3f81);      // above tie
  EXPECT_TRUE(std::isnan(Bfloat16ToFloat(
      FloatToBfloat16(std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_TRUE(std::isnan(Bfloat16ToFloat(FloatToBfloat16(
      std::numeric_limits<float>::signaling_NaN()))));
}

TEST(RowEncodingTest, Int8ErrorIsAtMostHalfAStep) {
  std::mt19937 random(3);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  for (size_t dim : {1, 8, 64, 256}) {
    std::vector<float> row(dim);
    for (float& x : row) x = normal(random);
    float largest = 0;
    for (float x : row) largest = std::max(largest, std::fabs(x));
    const float step = largest / 127.0f;
    const std::vector<float> back = RoundTrip(RowEncoding::kInt8, row);
    for (size_t j = 0; j < dim; ++j) {
      EXPECT_LE(std::fabs(back[j] - row[j]), step * 0.5f * (1 + 1e-5f))
          << "dim " << dim << " j " << j;
    }
  }
}

TEST(RowEncodingTest, Int8HandlesZerosAndNonFiniteElements) {
  EXPECT_EQ(RoundTrip(RowEncoding::kInt8, {0, 0, -0.0f}),
            (std::vector<float>{0, 0, 0}));
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> back = RoundTrip(
      RowEncoding::kInt8,
      {2.0f, -inf, inf, std::numeric_limits<float>::quiet_NaN(), -1.0f});
  EXPECT_FLOAT_EQ(back[0], 2.0f);
  EXPECT_FLOAT_EQ(back[1], -2.0f);  // -inf: -127 steps
  EXPECT_FLOAT_EQ(back[2], 2.0f);
  EXPECT_EQ(back[3], 0.0f);  // NaN
  EXPECT_NEAR(back[4], -1.0f, 1.0f / 127);  // half a step of 2/127
}

TEST(RowEncodingTest, RawAndHalfWidthEncodingsRoundTripTheirValues) {
  const std::vector<float> row = {0.5f, -2.25f, 1024.0f, 0x1p-20f};
  EXPECT_EQ(RoundTrip(RowEncoding::kRaw, row), row);
  EXPECT_EQ(RoundTrip(RowEncoding::kFloat16, row), row);  // all exact halves
  EXPECT_EQ(RoundTrip(RowEncoding::kBfloat16, {0.5f, -2.25f, 1024.0f}),
            (std::vector<float>{0.5f, -2.25f, 1024.0f}));
}

TEST(RowEncodingTest, AStoredRowOfAnotherSizeIsRefusedUntouched) {
  std::vector<float> out(4, 7.0f);
  for (RowEncoding encoding : kAll) {
    const std::string stored(EncodedRowBytes(encoding, 4) + 1, '\0');
    const Status status = DecodeFloatRow(encoding, stored, 4, out.data());
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find(std::string(RowEncodingName(encoding))),
              std::string::npos)
        << status.message();
  }
  EXPECT_EQ(out, std::vector<float>(4, 7.0f));
}

}  // namespace
}  // namespace redis_table
}  // namespace tfra

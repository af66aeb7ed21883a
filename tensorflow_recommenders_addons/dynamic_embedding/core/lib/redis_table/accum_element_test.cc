#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/accum_element.h"

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

template <typename T>
std::string Bytes(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()),
                     values.size() * sizeof(T));
}

template <typename T>
std::vector<T> Values(const std::string& bytes) {
  std::vector<T> values(bytes.size() / sizeof(T));
  std::memcpy(values.data(), bytes.data(), bytes.size());
  return values;
}

// Sums `row` and `delta` with AddRows into a buffer shifted by `offset`
// bytes, so that neither input nor output is aligned.
template <typename T>
std::vector<T> Sum(AccumElement type, const std::vector<T>& row,
                   const std::vector<T>& delta, size_t offset) {
  const std::string a = std::string(offset, 'x') + Bytes(row);
  const std::string b = std::string(offset + 1, 'y') + Bytes(delta);
  std::string out(a.size(), '\0');
  AddRows(type, a.data() + offset, b.data() + offset + 1, &out[offset],
          row.size() * sizeof(T));
  return Values<T>(out.substr(offset));
}

TEST(AccumElementFromNameTest, KnowsUpstreamsFiveNamesExactly) {
  const struct {
    const char* name;
    AccumElement type;
    size_t bytes;
  } cases[] = {{"float", AccumElement::kFloat, 4},
               {"double", AccumElement::kDouble, 8},
               {"int32", AccumElement::kInt32, 4},
               {"int64", AccumElement::kInt64, 8},
               {"int8", AccumElement::kInt8, 1}};
  for (const auto& c : cases) {
    AccumElement type = AccumElement::kInt8;
    ASSERT_TRUE(AccumElementFromName(c.name, std::strlen(c.name), &type))
        << c.name;
    EXPECT_EQ(type, c.type) << c.name;
    EXPECT_EQ(AccumElementBytes(type), c.bytes) << c.name;
    EXPECT_STREQ(AccumElementName(type), c.name);
  }
  for (const std::string bad :
       {"FLOAT", "float32", "half", "bfloat16", "floa", "", "int", "bool"}) {
    AccumElement type;
    EXPECT_FALSE(AccumElementFromName(bad.data(), bad.size(), &type)) << bad;
  }
  // The length counts: a name followed by more bytes is another name.
  AccumElement type;
  EXPECT_FALSE(AccumElementFromName("float\0x", 7, &type));
}

TEST(AddRowsTest, FloatSumsAreRoundedOnceAtAnyAlignmentAndLength) {
  std::mt19937 random(7);
  std::uniform_real_distribution<float> value(-1e6f, 1e6f);
  // Lengths around the vector widths, so that every loop tail runs.
  for (size_t n : {0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 63, 64, 65, 256}) {
    std::vector<float> row(n), delta(n);
    for (size_t j = 0; j < n; ++j) row[j] = value(random);
    for (size_t j = 0; j < n; ++j) delta[j] = value(random) * 1e-7f;
    for (size_t offset : {0, 1, 3}) {
      const std::vector<float> sum = Sum(AccumElement::kFloat, row, delta,
                                         offset);
      for (size_t j = 0; j < n; ++j) {
        const float want = row[j] + delta[j];  // one IEEE rounding
        EXPECT_EQ(std::memcmp(&sum[j], &want, sizeof(float)), 0)
            << "n=" << n << " j=" << j;
      }
    }
  }
}

TEST(AddRowsTest, DoubleSumsAreExactIeeeSums) {
  const std::vector<double> row = {0.1, 1.7e308, -2.5, 1.0, 3.0};
  const std::vector<double> delta = {0.2, 1.7e308, 2.5, 1e-17, -0.0};
  const std::vector<double> sum = Sum(AccumElement::kDouble, row, delta, 5);
  for (size_t j = 0; j < row.size(); ++j) {
    const double want = row[j] + delta[j];
    EXPECT_EQ(std::memcmp(&sum[j], &want, sizeof(double)), 0) << j;
  }
  EXPECT_EQ(sum[1], std::numeric_limits<double>::infinity());
  EXPECT_EQ(sum[3], 1.0);  // below half an ulp: rounded away
}

TEST(AddRowsTest, IntegerSumsWrapAsTwosComplement) {
  const std::vector<int8_t> sum8 =
      Sum<int8_t>(AccumElement::kInt8, std::vector<int8_t>(40, 127),
                  std::vector<int8_t>(40, 1), 1);
  EXPECT_EQ(sum8, std::vector<int8_t>(40, -128));
  const int32_t max32 = std::numeric_limits<int32_t>::max();
  EXPECT_EQ(Sum<int32_t>(AccumElement::kInt32, {max32, -5, 0, 9, 1},
                         {1, 5, -1, 9, -3}, 2),
            (std::vector<int32_t>{std::numeric_limits<int32_t>::min(), 0, -1,
                                  18, -2}));
  const int64_t min64 = std::numeric_limits<int64_t>::min();
  // Beyond 2^53, where doubles (the accum script's numbers) lose integers.
  const int64_t big = (int64_t{1} << 60) + 1;
  EXPECT_EQ(Sum<int64_t>(AccumElement::kInt64, {min64, big, 3}, {-1, big, -4},
                         3),
            (std::vector<int64_t>{std::numeric_limits<int64_t>::max(),
                                  2 * big, -1}));
}

TEST(AddRowsTest, SumMayBeTheRowItself) {
  std::vector<float> row(19), delta(19);
  for (size_t j = 0; j < row.size(); ++j) {
    row[j] = 0.1f * static_cast<float>(j);
    delta[j] = 1.0f / static_cast<float>(j + 1);
  }
  std::vector<float> want(row.size());
  for (size_t j = 0; j < row.size(); ++j) want[j] = row[j] + delta[j];
  char* bytes = reinterpret_cast<char*>(row.data());
  AddRows(AccumElement::kFloat, bytes, reinterpret_cast<char*>(delta.data()),
          bytes, row.size() * sizeof(float));
  EXPECT_EQ(row, want);
}

}  // namespace
}  // namespace redis_table
}  // namespace tfra

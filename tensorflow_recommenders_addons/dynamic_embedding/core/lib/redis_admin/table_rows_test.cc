#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/table_rows.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/row_encoding.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/value_codec.h"

namespace tfra {
namespace redis_admin {
namespace {

using redis_table::ElementType;
using redis_table::KeyKind;
using redis_table::RowEncoding;
using redis_table::TableSchema;

TEST(KeyTextTest, IntegerKeysRoundTripThroughTheirFields) {
  for (const char* text : {"0", "-1", "9223372036854775807"}) {
    auto field = KeyFieldFromText(KeyKind::kInt64, text);
    ASSERT_TRUE(field.ok()) << text;
    EXPECT_EQ(field->size(), 8u);
    EXPECT_EQ(*KeyTextFromField(KeyKind::kInt64, *field), text);
  }
  const int32_t key = -7;
  EXPECT_EQ(*KeyFieldFromText(KeyKind::kInt32, "-7"),
            std::string(redis_table::KeyBytes(key)));
  EXPECT_EQ(*KeyFieldFromText(KeyKind::kString, "a b"), "a b");
}

TEST(KeyTextTest, TextThatIsNoKeyOfTheKindIsRefused) {
  EXPECT_FALSE(KeyFieldFromText(KeyKind::kInt64, "12x").ok());
  EXPECT_FALSE(KeyFieldFromText(KeyKind::kInt64, "").ok());
  EXPECT_FALSE(KeyFieldFromText(KeyKind::kInt64, "99999999999999999999").ok());
  EXPECT_FALSE(KeyFieldFromText(KeyKind::kInt32, "2147483648").ok());
}

std::string RowJson(const TableSchema& schema, std::string_view stored,
                    RowEncoding encoding = RowEncoding::kRaw) {
  JsonWriter out;
  const Status status = WriteRowJson(schema, encoding, stored, &out);
  return status.ok() ? out.text() : "error: " + status.message();
}

TEST(RowJsonTest, NumericRowsDecodeElementByElement) {
  const float floats[] = {1.5f, -0.25f};
  EXPECT_EQ(RowJson(TableSchema{KeyKind::kInt64, ElementType::kFloat32, 2},
                    redis_table::PodRowBytes(floats, 2)),
            "[1.5,-0.25]");
  const uint16_t halves[] = {0x3c00, 0xc000, 0x7c00};  // 1, -2, inf
  EXPECT_EQ(RowJson(TableSchema{KeyKind::kInt64, ElementType::kFloat16, 3},
                    redis_table::PodRowBytes(halves, 3)),
            "[1,-2,Infinity]");
  const uint16_t bfloats[] = {0x3fc0};  // 1.5
  EXPECT_EQ(RowJson(TableSchema{KeyKind::kInt64, ElementType::kBFloat16, 1},
                    redis_table::PodRowBytes(bfloats, 1)),
            "[1.5]");
  const int8_t bytes[] = {-3, 4};
  EXPECT_EQ(RowJson(TableSchema{KeyKind::kInt64, ElementType::kInt8, 2},
                    redis_table::PodRowBytes(bytes, 2)),
            "[-3,4]");
  const bool flags[] = {true, false};
  EXPECT_EQ(RowJson(TableSchema{KeyKind::kString, ElementType::kBool, 2},
                    redis_table::PodRowBytes(flags, 2)),
            "[true,false]");
}

TEST(RowJsonTest, StringRowsDecodeTheirFraming) {
  const std::string_view elements[] = {"ab", ""};
  std::string stored;
  ASSERT_TRUE(redis_table::AppendStringRow(elements, 2, &stored).ok());
  EXPECT_EQ(RowJson(TableSchema{KeyKind::kInt64, ElementType::kString, 2},
                    stored),
            R"(["ab",""])");
}

TEST(RowJsonTest, CompactFloatRowsDecodeToFloat32) {
  const TableSchema schema{KeyKind::kInt64, ElementType::kFloat32, 3};
  // Exact in float16 and bfloat16; int8's step is max|x| / 127 = 1.
  const float row[] = {1.5f, -0.25f, 127.0f};
  for (RowEncoding encoding :
       {RowEncoding::kFloat16, RowEncoding::kBfloat16, RowEncoding::kInt8}) {
    std::string stored(redis_table::EncodedRowBytes(encoding, 3), '\0');
    redis_table::EncodeFloatRow(encoding, row, 3, stored.data());
    EXPECT_EQ(RowJson(schema, stored, encoding),
              encoding == RowEncoding::kInt8 ? "[2,0,127]" : "[1.5,-0.25,127]")
        << redis_table::RowEncodingName(encoding);
  }
  // A raw float32 row read as int8 has the wrong size.
  EXPECT_EQ(RowJson(schema, redis_table::PodRowBytes(row, 3), RowEncoding::kInt8)
                .rfind("error: ", 0),
            0u);
}

TEST(RowJsonTest, RowOfTheWrongSizeIsAnError) {
  const float floats[] = {1.0f};
  EXPECT_EQ(RowJson(TableSchema{KeyKind::kInt64, ElementType::kFloat32, 2},
                    redis_table::PodRowBytes(floats, 1))
                .rfind("error: ", 0),
            0u);
}

}  // namespace
}  // namespace redis_admin
}  // namespace tfra

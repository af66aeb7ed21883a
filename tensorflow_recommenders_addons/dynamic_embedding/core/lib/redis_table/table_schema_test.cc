#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_schema.h"

#include "gtest/gtest.h"

namespace tfra {
namespace redis_table {
namespace {

TEST(TableSchemaTest, EveryElementTypeNameReadsBackAsItself) {
  for (ElementType type :
       {ElementType::kFloat32, ElementType::kFloat64, ElementType::kInt32,
        ElementType::kInt64, ElementType::kInt8, ElementType::kFloat16,
        ElementType::kBFloat16, ElementType::kBool, ElementType::kString}) {
    ElementType parsed = ElementType::kString;
    ASSERT_TRUE(ElementTypeFromName(ElementTypeName(type), &parsed))
        << ElementTypeName(type);
    EXPECT_EQ(parsed, type);
  }
}

TEST(TableSchemaTest, NamesAreTensorFlowDtypeNamesWithTheirSizes) {
  EXPECT_EQ(ElementTypeName(ElementType::kFloat32), "float32");
  EXPECT_EQ(ElementTypeName(ElementType::kFloat16), "float16");
  EXPECT_EQ(ElementTypeName(ElementType::kBFloat16), "bfloat16");
  EXPECT_EQ(ElementSize(ElementType::kFloat64), 8u);
  EXPECT_EQ(ElementSize(ElementType::kInt8), 1u);
  EXPECT_EQ(ElementSize(ElementType::kBool), 1u);
  EXPECT_EQ(ElementSize(ElementType::kString), 0u);
  EXPECT_EQ(RowBytes(TableSchema{KeyKind::kInt64, ElementType::kFloat16, 8}),
            16u);
}

TEST(TableSchemaTest, TensorFlowCppSpellingsAreAccepted) {
  ElementType type = ElementType::kString;
  ASSERT_TRUE(ElementTypeFromName("float", &type));
  EXPECT_EQ(type, ElementType::kFloat32);
  ASSERT_TRUE(ElementTypeFromName("double", &type));
  EXPECT_EQ(type, ElementType::kFloat64);
  ASSERT_TRUE(ElementTypeFromName("half", &type));
  EXPECT_EQ(type, ElementType::kFloat16);
  EXPECT_FALSE(ElementTypeFromName("complex64", &type));
}

TEST(TableSchemaTest, KeyKindNamesReadBack) {
  for (KeyKind kind : {KeyKind::kInt32, KeyKind::kInt64, KeyKind::kString}) {
    KeyKind parsed = KeyKind::kString;
    ASSERT_TRUE(KeyKindFromName(KeyKindName(kind), &parsed));
    EXPECT_EQ(parsed, kind);
  }
  KeyKind kind;
  EXPECT_FALSE(KeyKindFromName("float32", &kind));
}

}  // namespace
}  // namespace redis_table
}  // namespace tfra

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/json_writer.h"

#include <cmath>
#include <string>

#include "gtest/gtest.h"

namespace tfra {
namespace redis_admin {
namespace {

TEST(JsonWriterTest, NestedContainersGetCommasOnlyBetweenMembers) {
  JsonWriter out;
  out.BeginObject()
      .Member("a", int64_t{1})
      .Key("b")
      .BeginArray()
      .Int(2)
      .BeginObject()
      .EndObject()
      .Null()
      .EndArray()
      .Member("c", true)
      .EndObject();
  EXPECT_EQ(out.text(), R"({"a":1,"b":[2,{},null],"c":true})");
}

TEST(JsonWriterTest, BytesOutsidePrintableAsciiAreLatin1Escapes) {
  JsonWriter out;
  out.String(std::string("a\"\\\n\x7f\xff\0z", 8));
  EXPECT_EQ(out.text(), R"("a\"\\\u000a\u007f\u00ff\u0000z")");
}

TEST(JsonWriterTest, DoublesKeepTheDigitsAskedForAndNonFiniteHaveNames) {
  JsonWriter out;
  out.BeginArray()
      .Double(0.1f, 9)
      .Double(0.1)
      .Double(std::nan(""))
      .Double(-INFINITY)
      .EndArray();
  EXPECT_EQ(out.text(), "[0.100000001,0.10000000000000001,NaN,-Infinity]");
}

}  // namespace
}  // namespace redis_admin
}  // namespace tfra

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/admin_request.h"

#include "gtest/gtest.h"

namespace tfra {
namespace redis_admin {
namespace {

TEST(AdminRequestTest, MembersReadBackByType) {
  auto request = AdminRequest::Parse(
      R"({"command": "inspect", "rows": 12, "yes": true, "keys": ["1", "\u00e9"],
          "tag": null})");
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  EXPECT_EQ(*request->Required("command"), "inspect");
  EXPECT_EQ(*request->Int("rows"), 12);
  EXPECT_TRUE(*request->Bool("yes"));
  EXPECT_EQ(*request->Strings("keys"),
            (std::vector<std::string>{"1", "\xc3\xa9"}));
  EXPECT_FALSE(request->Has("tag"));
  EXPECT_EQ(*request->String("tag", "test"), "test");
  EXPECT_EQ(*request->Int("dim", 8), 8);
}

TEST(AdminRequestTest, WrongTypesAndMissingMembersNameTheMember) {
  auto request = AdminRequest::Parse(R"({"rows": "12", "keys": [1]})");
  EXPECT_FALSE(request.ok());
  EXPECT_NE(request.status().message().find("keys"), std::string::npos);
  request = AdminRequest::Parse(R"({"rows": "12"})");
  ASSERT_TRUE(request.ok());
  EXPECT_NE(request->Int("rows").status().message().find("rows"),
            std::string::npos);
  EXPECT_NE(request->Required("table").status().message().find("table"),
            std::string::npos);
}

TEST(AdminRequestTest, NonObjectsAreRefused) {
  EXPECT_FALSE(AdminRequest::Parse("[1]").ok());
  EXPECT_FALSE(AdminRequest::Parse("{").ok());
  EXPECT_FALSE(AdminRequest::Parse("").ok());
}

}  // namespace
}  // namespace redis_admin
}  // namespace tfra

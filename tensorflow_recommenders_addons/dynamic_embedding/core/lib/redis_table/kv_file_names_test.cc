#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/kv_file_names.h"

#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tfra {
namespace redis_table {
namespace {

GetEnvFunction FakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

TEST(KvFileNamesTest, FilesAreThePathWithKeysAndValuesSuffixes) {
  EXPECT_EQ(KeysFilePath("/d/emb"), "/d/emb-keys");
  EXPECT_EQ(ValuesFilePath("/d/emb"), "/d/emb-values");
}

TEST(KvFileNamesTest, DirComesFromTheNamedEnvVarWhenItIsSet) {
  const auto env = FakeEnv({{"SAVED", "/from/env"}, {"EMPTY", ""}});
  EXPECT_EQ(ResolveKvFileDir("SAVED", "/from/input", env), "/from/env");
  EXPECT_EQ(ResolveKvFileDir("UNSET", "/from/input", env), "/from/input");
  EXPECT_EQ(ResolveKvFileDir("EMPTY", "/from/input", env), "/from/input");
  EXPECT_EQ(ResolveKvFileDir("", "/from/input", env), "/from/input");
}

TEST(KvFileNamesTest, JoinAddsOneSlashAndKeepsUris) {
  EXPECT_EQ(JoinFilePath("/tmp/x", "emb"), "/tmp/x/emb");
  EXPECT_EQ(JoinFilePath("/tmp/x/", "emb"), "/tmp/x/emb");
  EXPECT_EQ(JoinFilePath("/tmp/x", "/emb"), "/tmp/x/emb");
  EXPECT_EQ(JoinFilePath("file:///tmp/x", "emb"), "file:///tmp/x/emb");
  EXPECT_EQ(JoinFilePath("", "emb"), "emb");
}

TEST(KvFileNamesTest, EntireDirTakesEveryShardAndRankOfAVariable) {
  const std::vector<std::string> children = {
      "emb_mht_1of2_rank0_size2-keys", "emb_mht_1of2_rank0_size2-values",
      "emb_mht_2of2_rank1_size2-keys", "emb_mht_2of2_rank1_size2-values",
      "emb2_mht_1of1-keys",            "emb2_mht_1of1-values",
      "emb_mht_1of2-keys.tmp",         "other-keys",
      "other-values"};
  auto tables = SavedTablesInDir("/d", children, "emb_mht_1of2_rank0_size2");
  ASSERT_TRUE(tables.ok()) << tables.status().ToString();
  EXPECT_EQ(*tables, (std::vector<std::string>{"emb_mht_1of2_rank0_size2",
                                               "emb_mht_2of2_rank1_size2"}));
}

TEST(KvFileNamesTest, EntireDirOfAPlainNameNeverTakesALongerName) {
  // Upstream globbed a 4-character prefix here ("emb_" -> every table).
  const std::vector<std::string> children = {
      "emb-keys",         "emb-values",          "emb_mht_1of1-keys",
      "emb_mht_1of1-values", "emb2-keys",        "emb2-values",
      "emb_adam-keys",    "emb_adam-values"};
  auto tables = SavedTablesInDir("/d", children, "emb");
  ASSERT_TRUE(tables.ok()) << tables.status().ToString();
  EXPECT_EQ(*tables, (std::vector<std::string>{"emb", "emb_mht_1of1"}));
}

TEST(KvFileNamesTest, EntireDirFailsOnAHalfSavedTable) {
  auto tables = SavedTablesInDir("/d", {"emb-keys"}, "emb");
  ASSERT_FALSE(tables.ok());
  EXPECT_EQ(tables.status().code(), StatusCode::kNotFound);
  EXPECT_NE(tables.status().message().find("'emb' in /d has only its -keys"),
            std::string::npos)
      << tables.status().message();
}

TEST(KvFileNamesTest, EntireDirFailsWhenNothingMatches) {
  auto tables = SavedTablesInDir("/d", {"x-keys", "x-values"}, "emb");
  ASSERT_FALSE(tables.ok());
  EXPECT_EQ(tables.status().code(), StatusCode::kNotFound);
  EXPECT_NE(
      tables.status().message().find("no saved key/value files for 'emb'"),
      std::string::npos)
      << tables.status().message();
}

}  // namespace
}  // namespace redis_table
}  // namespace tfra

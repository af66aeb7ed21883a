// The messages a person reads when a config is wrong: where malformed JSON
// breaks (line, column, key) and the hint for each usual slip, the suggested
// key for a misspelt one, and user text quoted safely.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_config.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_config_json.h"

namespace tfra {
namespace redis_table {
namespace {

// The ToString() of the syntax error in `json`, or "valid".
std::string Syntax(const std::string& json) {
  const std::optional<JsonSyntaxError> error = FindJsonSyntaxError(json);
  return error ? error->ToString() : "valid";
}

std::string ParseError(const std::string& json) {
  RedisTableConfig config;
  const Status status = ParseRedisTableConfig(json, &config, nullptr);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << json;
  return status.message();
}

std::vector<std::string> Warnings(const std::string& json) {
  RedisTableConfig config;
  std::vector<std::string> warnings;
  const Status status = ParseRedisTableConfig(json, &config, &warnings);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return warnings;
}

TEST(ConfigSyntaxErrorTest, PythonFalseIsReportedAtItsLineAndColumn) {
  // json-parser said "1:0: Unexpected F when seeking value" here.
  const std::string json =
      R"({"redis_connection_mode": 2, "storage_slice": 128, "redis_db": 15, )"
      R"("redis_read_access_slave": False})";
  ASSERT_EQ(json.find("False") + 1, 95u);
  EXPECT_EQ(ParseError(json),
            "Redis config is not valid JSON: line 1, column 95, in the value "
            "of redis_read_access_slave: False is Python, not JSON: use false");
}

TEST(ConfigSyntaxErrorTest, EveryPythonLiteralGetsItsJsonSpelling) {
  EXPECT_EQ(Syntax("{\"a\": 1,\n \"b\":\n   True}"),
            "line 3, column 4, in the value of b: True is Python, not JSON: "
            "use true");
  EXPECT_EQ(Syntax(R"({"a": None})"),
            "line 1, column 7, in the value of a: None is Python, not JSON: "
            "use null");
  EXPECT_EQ(Syntax(R"([1, TRUE])"),
            "line 1, column 5, in the value of [1]: TRUE is not JSON: use true");
  EXPECT_EQ(Syntax(R"({"a": yes})"),
            "line 1, column 7, in the value of a: unquoted text \"yes\": JSON "
            "strings need double quotes");
}

TEST(ConfigSyntaxErrorTest, QuotesCommentsAndSeparatorsGetHints) {
  EXPECT_EQ(Syntax("{'a': 1}"),
            "line 1, column 2: single quotes: JSON keys need double quotes");
  EXPECT_EQ(Syntax(R"({"a": 'x'})"),
            "line 1, column 7, in the value of a: single quotes: JSON strings "
            "need double quotes");
  EXPECT_EQ(Syntax("{\"a\": 1, // port\n}"),
            "line 1, column 10, after the value of a: comments are not "
            "allowed in JSON");
  EXPECT_EQ(Syntax("{a: 1}"),
            "line 1, column 2: the key \"a\" needs double quotes");
  EXPECT_EQ(Syntax(R"({"a" = 1})"),
            "line 1, column 6, after the key a: use ':' between a key and its "
            "value, not '='");
  EXPECT_EQ(Syntax(R"({"a": 1 "b": 2})"),
            "line 1, column 9, after the value of a: a ',' is missing before "
            "this key");
  EXPECT_EQ(Syntax(R"({"a": [1 2]})"),
            "line 1, column 10, after the value of a[0]: a ',' is missing "
            "before this");
  EXPECT_EQ(Syntax(R"({"a": [1,,2]})"),
            "line 1, column 10, in the value of a[1]: a value is missing "
            "before ','");
}

TEST(ConfigSyntaxErrorTest, UnclosedThingsPointAtWhereTheyOpened) {
  EXPECT_EQ(Syntax("{\"a\": [1,\n 2}"),
            "line 2, column 3, after the value of a[1]: '}' cannot close the "
            "array opened at line 1, column 7");
  EXPECT_EQ(Syntax("{\"a\": 1,\n"),
            "line 2, column 1, after the value of a: the text ends inside the "
            "object opened at line 1, column 1");
  EXPECT_EQ(Syntax("{\"a\": \"x}"),
            "line 1, column 7, in the value of a: this string is never closed");
  EXPECT_EQ(Syntax(R"({"a": 1}})"),
            "line 1, column 9: '}' after the end of the JSON document");
  EXPECT_EQ(Syntax(" \n "), "line 2, column 2: the config is empty");
}

TEST(ConfigSyntaxErrorTest, NumbersAndEscapesFollowJson) {
  EXPECT_EQ(Syntax(R"({"a": 007})"),
            "line 1, column 7, in the value of a: JSON numbers have no "
            "leading zeros");
  EXPECT_EQ(Syntax(R"({"a": 1.})"),
            "line 1, column 8, in the value of a: a digit must follow '.'");
  EXPECT_EQ(Syntax(R"({"a": [6379, 0x10]})"),
            "line 1, column 15, after the value of a[1]: expected ',' or ']', "
            "not 'x'");
  EXPECT_EQ(Syntax(R"({"a": "\u12"})"),
            "line 1, column 8, in the value of a: \\u needs four hex digits");
  EXPECT_EQ(Syntax(R"({"a": "\ud83d"})"),
            "line 1, column 8, in the value of a: \\ud83d is half of a UTF-16 "
            "surrogate pair; the other half must follow as \\uXXXX");
}

TEST(ConfigSyntaxErrorTest, AcceptsWhatJsonParserAndTfra08Accept) {
  for (const std::string json :
       {"{\"a\": [1, 2,], \"b\": {\"c\": 1,},}", "\xEF\xBB\xBF{}",
        "{\"a\": \"\\x \\ud83d\\ude00 \\u00e9\"}", "[-0.5e+3, 1E5, 0]",
        "{\"a\": \"tab\tin string\"}", "\"top\"", "null"}) {
    EXPECT_EQ(Syntax(json), "valid") << json;
  }
}

TEST(ConfigSyntaxErrorTest, StricterThanJsonParserOnlyWhereItGuessedValues) {
  // json-parser reads a '-' without digits as 0 (or -0.0 before an
  // exponent) and ignores what follows a NUL byte.
  for (const char* json : {"[-]", "[-e5]"}) {
    const std::optional<JsonSyntaxError> minus = FindJsonSyntaxError(json);
    ASSERT_TRUE(minus.has_value());
    EXPECT_TRUE(minus->stricter_than_json_parser);
    EXPECT_EQ(minus->ToString(),
              "line 1, column 2, in the value of [0]: a digit must follow '-'");
  }
  const std::optional<JsonSyntaxError> nul =
      FindJsonSyntaxError(std::string("{}\0{", 4));
  ASSERT_TRUE(nul.has_value());
  EXPECT_TRUE(nul->stricter_than_json_parser);
  EXPECT_EQ(nul->ToString(),
            "line 1, column 3: a NUL byte after the end of the JSON document");
  EXPECT_FALSE(FindJsonSyntaxError("[True]")->stricter_than_json_parser);
}

TEST(ConfigSyntaxErrorTest, ColumnsSkipTheByteOrderMark) {
  EXPECT_EQ(Syntax("\xEF\xBB\xBF{x}"),
            "line 1, column 2: the key \"x\" needs double quotes");
}

TEST(ConfigKeySuggestionTest, MisspeltKeyGetsTheClosestKnownKey) {
  EXPECT_EQ(Warnings(R"({"storage_slcie": 2})"),
            std::vector<std::string>{
                "Redis config: ignoring unknown keys \"storage_slcie\" (did "
                "you mean storage_slice?)"});
  EXPECT_EQ(Warnings(R"({"Redis_DB": 1, "storage_slices": 2,
                        "redis_hosts_ip": [], "bogus": 0})"),
            std::vector<std::string>{
                "Redis config: ignoring unknown keys \"Redis_DB\" (did you "
                "mean redis_db?), \"storage_slices\" (did you mean "
                "storage_slice?), \"redis_hosts_ip\" (did you mean "
                "redis_host_ip?), \"bogus\""});
  // "redis_bdx" is two edits from redis_db: too many for a 9-byte name.
  EXPECT_EQ(Warnings(R"({"redis_bdx": 1})")[0],
            "Redis config: ignoring unknown keys \"redis_bdx\"");
}

TEST(ConfigMessageTest, UserTextIsQuotedPrintably) {
  EXPECT_EQ(QuoteForMessage("a\"b\\c\n\x01\xC3\xA9"),
            "\"a\\\"b\\\\c\\x0A\\x01\\xC3\\xA9\"");
  EXPECT_EQ(QuoteForMessage("abcdef", 3), "\"abc...\"");
  EXPECT_EQ(ParseError(R"({"redis_hash_tags_runtime": ["1\n}2"]})"),
            "redis_hash_tags_runtime[0] \"1\\x0A}2\" has a brace inside the "
            "tag");
  EXPECT_EQ(Warnings(R"({"k\u0001": 1})")[0],
            "Redis config: ignoring unknown keys \"k\\x01\"");
}

}  // namespace
}  // namespace redis_table
}  // namespace tfra

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_config.h"

#include <limits>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "gtest/gtest.h"

namespace tfra {
namespace redis_table {
namespace {

using Strings = std::vector<std::string>;

// Every key with a value different from its default.
constexpr char kAllKeysJson[] = R"json({
  "redis_connection_mode": 0,
  "redis_master_name": "mymaster",
  "redis_host_ip": ["10.0.0.1", "10.0.0.2"],
  "redis_host_port": [7000, 7001],
  "redis_user": "alice",
  "redis_password": "secret",
  "redis_db": 3,
  "redis_read_access_slave": true,
  "redis_connect_keep_alive": true,
  "redis_connect_timeout": 250,
  "redis_socket_timeout": 350,
  "redis_conn_pool_size": 4,
  "redis_wait_timeout": 5000,
  "redis_connection_lifetime": 7,
  "redis_sentinel_user": "sentinel_user",
  "redis_sentinel_password": "sentinel_secret",
  "redis_sentinel_connect_timeout": 450,
  "redis_sentinel_socket_timeout": 550,
  "storage_slice_import": 3,
  "storage_slice": 2,
  "using_hash_storage_slice": true,
  "keys_sending_size": 5000000000,
  "using_md5_prefix_name": true,
  "redis_hash_tags_hypodispersion": true,
  "model_tag_import": "v1",
  "redis_hash_tags_import": ["{1}", "2", "{3"],
  "model_tag_runtime": "v2",
  "redis_hash_tags_runtime": ["{10}", "20}"],
  "expire_model_tag_in_seconds": -1,
  "table_store_mode": 2,
  "model_lib_abs_dir": "/data/models/",
  "redis_read_failure_policy": "default_values",
  "redis_write_replicas": 2,
  "redis_write_replicas_timeout": 300,
  "redis_circuit_breaker_failures": 3,
  "redis_circuit_breaker_cooldown": 2000,
  "redis_tls": true,
  "redis_tls_ca_file": "/etc/ca.pem",
  "redis_tls_cert_file": "/etc/client.pem",
  "redis_tls_key_file": "/etc/client.key",
  "redis_tls_server_name": "redis.internal",
  "redis_value_encoding": "int8",
  "redis_read_cache_bytes": 10000000000,
  "redis_read_cache_staleness_ms": 250
})json";

Status Parse(const std::string& json, RedisTableConfig* config,
             Strings* warnings = nullptr) {
  return ParseRedisTableConfig(json, config, warnings);
}

// Parses `json` expecting InvalidArgument; returns the message.
std::string ParseError(const std::string& json) {
  RedisTableConfig config;
  const Status status = Parse(json, &config);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << json;
  return status.message();
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(RedisTableConfigTest, EmptyObjectGivesUpstreamDefaults) {
  RedisTableConfig config;
  config.redis_db = 99;  // overwritten: parsing starts from the defaults
  Strings warnings;
  ASSERT_TRUE(Parse("{}", &config, &warnings).ok());
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(config.redis_connection_mode, redis_client::Mode::kSentinel);
  EXPECT_EQ(config.redis_master_name, "master");
  EXPECT_EQ(config.redis_host_ip, Strings({"127.0.0.1"}));
  EXPECT_EQ(config.redis_host_port, std::vector<int32_t>({6379}));
  EXPECT_EQ(config.redis_user, "default");
  EXPECT_EQ(config.redis_db, 0);
  EXPECT_EQ(config.redis_wait_timeout, 100000000);
  EXPECT_EQ(config.redis_connection_lifetime, 100);
  EXPECT_EQ(config.storage_slice, 1);
  EXPECT_EQ(config.storage_slice_import, -1);
  EXPECT_EQ(config.effective_storage_slice_import(), 1);
  EXPECT_EQ(config.keys_sending_size, 1024);
  EXPECT_EQ(config.model_tag_runtime, "test");
  EXPECT_EQ(config.expire_model_tag_in_seconds, 604800);
  EXPECT_EQ(config.table_store_mode, TableStoreMode::kDumpFiles);
  EXPECT_EQ(config.model_lib_abs_dir, "/tmp/");
  EXPECT_EQ(config.redis_read_failure_policy, "error");
  EXPECT_FALSE(config.read_failures_return_defaults());
  EXPECT_EQ(config.redis_write_replicas, 0);
  EXPECT_EQ(config.redis_circuit_breaker_failures, 0);
  EXPECT_FALSE(config.redis_tls);
  EXPECT_EQ(config.redis_value_encoding, "raw");
  EXPECT_EQ(config.redis_read_cache_bytes, 0);
  EXPECT_EQ(config.redis_read_cache_staleness_ms, 1000);
}

TEST(RedisTableConfigTest, EveryKeyIsParsed) {
  RedisTableConfig c;
  const Status status = Parse(kAllKeysJson, &c);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(c.redis_connection_mode, redis_client::Mode::kCluster);
  EXPECT_EQ(c.redis_master_name, "mymaster");
  EXPECT_EQ(c.redis_host_ip, Strings({"10.0.0.1", "10.0.0.2"}));
  EXPECT_EQ(c.redis_host_port, std::vector<int32_t>({7000, 7001}));
  EXPECT_EQ(c.redis_user, "alice");
  EXPECT_EQ(c.redis_password, "secret");
  EXPECT_EQ(c.redis_db, 3);
  EXPECT_TRUE(c.redis_read_access_slave);
  EXPECT_TRUE(c.redis_connect_keep_alive);
  EXPECT_EQ(c.redis_connect_timeout, 250);
  EXPECT_EQ(c.redis_socket_timeout, 350);
  EXPECT_EQ(c.redis_conn_pool_size, 4);
  EXPECT_EQ(c.redis_wait_timeout, 5000);
  EXPECT_EQ(c.redis_connection_lifetime, 7);
  EXPECT_EQ(c.redis_sentinel_user, "sentinel_user");
  EXPECT_EQ(c.redis_sentinel_password, "sentinel_secret");
  EXPECT_EQ(c.redis_sentinel_connect_timeout, 450);
  EXPECT_EQ(c.redis_sentinel_socket_timeout, 550);
  EXPECT_EQ(c.storage_slice_import, 3);
  EXPECT_EQ(c.effective_storage_slice_import(), 3);
  EXPECT_EQ(c.storage_slice, 2);
  EXPECT_TRUE(c.using_hash_storage_slice);
  EXPECT_EQ(c.keys_sending_size, 5000000000);  // a 64-bit field
  EXPECT_TRUE(c.using_md5_prefix_name);
  EXPECT_TRUE(c.redis_hash_tags_hypodispersion);
  EXPECT_EQ(c.model_tag_import, "v1");
  EXPECT_EQ(c.redis_hash_tags_import, Strings({"{1}", "2", "{3"}));
  EXPECT_EQ(c.model_tag_runtime, "v2");
  EXPECT_EQ(c.redis_hash_tags_runtime, Strings({"{10}", "20}"}));
  EXPECT_EQ(c.expire_model_tag_in_seconds, -1);
  EXPECT_EQ(c.table_store_mode, TableStoreMode::kNothing);
  EXPECT_EQ(c.model_lib_abs_dir, "/data/models/");
  EXPECT_TRUE(c.read_failures_return_defaults());
  EXPECT_EQ(c.redis_write_replicas, 2);
  EXPECT_EQ(c.redis_write_replicas_timeout, 300);
  EXPECT_EQ(c.redis_circuit_breaker_failures, 3);
  EXPECT_EQ(c.redis_circuit_breaker_cooldown, 2000);
  EXPECT_TRUE(c.redis_tls);
  EXPECT_EQ(c.redis_tls_ca_file, "/etc/ca.pem");
  EXPECT_EQ(c.redis_tls_cert_file, "/etc/client.pem");
  EXPECT_EQ(c.redis_tls_key_file, "/etc/client.key");
  EXPECT_EQ(c.redis_tls_server_name, "redis.internal");
  EXPECT_EQ(c.redis_value_encoding, "int8");
  EXPECT_EQ(c.redis_read_cache_bytes, 10000000000);  // a 64-bit field
  EXPECT_EQ(c.redis_read_cache_staleness_ms, 250);
}

TEST(RedisTableConfigTest, ReliabilityKeysAreChecked) {
  EXPECT_TRUE(Contains(ParseError(R"({"redis_read_failure_policy": "zeros"})"),
                       "redis_read_failure_policy must be"));
  EXPECT_TRUE(Contains(
      ParseError(R"({"redis_write_replicas": 1,
                     "redis_write_replicas_timeout": 1000})"),
      "must be shorter than redis_socket_timeout"));
  EXPECT_TRUE(Contains(ParseError(R"({"redis_tls_cert_file": "/c.pem"})"),
                       "redis_tls_cert_file and redis_tls_key_file go"));
  EXPECT_TRUE(Contains(ParseError(R"({"redis_circuit_breaker_cooldown": 0})"),
                       "redis_circuit_breaker_cooldown must be an integer"));
}

TEST(RedisTableConfigTest, AllKeysJsonCoversTheFieldTable) {
  // Adding a field without extending kAllKeysJson fails here.
  for (const ConfigField& field : ConfigFields()) {
    EXPECT_TRUE(Contains(kAllKeysJson, "\"" + std::string(field.name) + "\""))
        << field.name;
  }
}

TEST(RedisTableConfigTest, ModesMapTheirJsonIntegers) {
  RedisTableConfig c;
  ASSERT_TRUE(Parse(R"({"redis_connection_mode": 2,
                        "table_store_mode": 0})", &c).ok());
  EXPECT_EQ(c.redis_connection_mode, redis_client::Mode::kStandalone);
  EXPECT_EQ(c.table_store_mode, TableStoreMode::kCheckpointTensors);
  ASSERT_TRUE(Parse(R"({"redis_connection_mode": 1})", &c).ok());
  EXPECT_EQ(c.redis_connection_mode, redis_client::Mode::kSentinel);
  ASSERT_TRUE(Parse(R"({"redis_connection_mode": 0})", &c).ok());
  EXPECT_EQ(c.redis_connection_mode, redis_client::Mode::kCluster);
  EXPECT_EQ(JsonIntegerOf(redis_client::Mode::kCluster), 0);
  EXPECT_EQ(JsonIntegerOf(redis_client::Mode::kSentinel), 1);
  EXPECT_EQ(JsonIntegerOf(redis_client::Mode::kStandalone), 2);
  EXPECT_EQ(JsonIntegerOf(TableStoreMode::kCheckpointTensors), 0);
  EXPECT_EQ(JsonIntegerOf(TableStoreMode::kDumpFiles), 1);
  EXPECT_EQ(JsonIntegerOf(TableStoreMode::kNothing), 2);
}

// Every integer in a key's range names a value, and back.
TEST(RedisTableConfigTest, ModeIntegersRoundTrip) {
  for (int64_t json = 0; json <= 2; ++json) {
    redis_client::Mode mode;
    ASSERT_TRUE(FromJsonInteger(json, &mode)) << json;
    EXPECT_EQ(JsonIntegerOf(mode), json);
    TableStoreMode store_mode;
    ASSERT_TRUE(FromJsonInteger(json, &store_mode)) << json;
    EXPECT_EQ(JsonIntegerOf(store_mode), json);
  }
  redis_client::Mode mode;
  EXPECT_FALSE(FromJsonInteger(3, &mode));
  EXPECT_FALSE(FromJsonInteger(-1, &mode));
}

// A JSON value of the wrong type for `field`, mirroring upstream's test
// (non-strings become strings, strings become 0).
std::vector<std::string> WrongValues(const ConfigField& field) {
  const std::string_view type = field.json_type();
  if (type == "integer") return {"\"1\"", "1.0", "true", "[1]", "null",
                                 "99999999999999999999"};
  if (type == "boolean") return {"\"true\"", "1", "0"};
  if (type == "string") return {"0", "[\"a\"]", "false"};
  if (type == "string array") return {"\"x\"", "[\"x\", 1]", "[[\"x\"]]"};
  return {"6379", "[6379, \"7000\"]", "[1.5]", "{}"};  // integer array
}

TEST(RedisTableConfigTest, WrongTypeNamesTheKeyAndExpectedType) {
  for (const ConfigField& field : ConfigFields()) {
    for (const std::string& wrong : WrongValues(field)) {
      const std::string json =
          "{\"" + std::string(field.name) + "\": " + wrong + "}";
      const std::string message = ParseError(json);
      EXPECT_EQ(message, std::string(field.name) + " should be json " +
                             std::string(field.json_type()))
          << json;
    }
  }
}

TEST(RedisTableConfigTest, UpstreamStyleMessages) {
  EXPECT_EQ(ParseError(R"({"redis_db": "0"})"),
            "redis_db should be json integer");
  EXPECT_EQ(ParseError(R"({"redis_host_ip": "127.0.0.1"})"),
            "redis_host_ip should be json string array");
  EXPECT_EQ(ParseError(R"({"redis_host_port": 6379})"),
            "redis_host_port should be json integer array");
}

TEST(RedisTableConfigTest, IntegersMustFitTheField) {
  EXPECT_TRUE(Contains(ParseError(R"({"redis_db": 5000000000})"),
                       "redis_db must be an integer in [0, 2147483647], got "
                       "5000000000"));
  RedisTableConfig c;
  ASSERT_TRUE(Parse(R"({"expire_model_tag_in_seconds": 9000000000})", &c).ok());
  EXPECT_EQ(c.expire_model_tag_in_seconds, 9000000000);
}

struct RangeCase {
  const char* json;
  const char* expected;
};

TEST(RedisTableConfigTest, RangeChecksNameTheKey) {
  const RangeCase cases[] = {
      {R"({"storage_slice": 0})", "storage_slice must be an integer in [1, "
                                  "16384], got 0"},
      {R"({"storage_slice": 16385})", "storage_slice must"},
      {R"({"storage_slice_import": 20000})", "storage_slice_import must"},
      {R"({"keys_sending_size": 0})", "keys_sending_size must"},
      {R"({"redis_conn_pool_size": 0})", "redis_conn_pool_size must"},
      {R"({"redis_connect_timeout": -1})", "redis_connect_timeout must"},
      {R"({"redis_socket_timeout": -1})", "redis_socket_timeout must"},
      {R"({"redis_wait_timeout": -1})", "redis_wait_timeout must"},
      {R"({"redis_connection_lifetime": -1})", "redis_connection_lifetime"},
      {R"({"redis_sentinel_connect_timeout": -5})",
       "redis_sentinel_connect_timeout must"},
      {R"({"redis_sentinel_socket_timeout": -5})",
       "redis_sentinel_socket_timeout must"},
      {R"({"redis_db": -1})", "redis_db must"},
      {R"({"redis_connection_mode": 3})",
       "redis_connection_mode must be an integer in [0, 2], got 3"},
      {R"({"redis_connection_mode": -1})", "redis_connection_mode must"},
      {R"({"table_store_mode": 3})", "table_store_mode must"},
      {R"({"redis_host_port": [0]})",
       "redis_host_port must be an integer in [1, 65535], got 0"},
      {R"({"redis_host_port": [65536]})", "redis_host_port must"},
  };
  for (const RangeCase& c : cases) {
    EXPECT_TRUE(Contains(ParseError(c.json), c.expected)) << c.json;
  }
}

TEST(RedisTableConfigTest, RangeBoundariesAreAccepted) {
  RedisTableConfig c;
  EXPECT_TRUE(Parse(R"({"storage_slice": 16384, "storage_slice_import": 0,
                        "redis_host_port": [65535], "keys_sending_size": 1,
                        "redis_conn_pool_size": 1, "redis_socket_timeout": 0})",
                    &c).ok());
  EXPECT_EQ(c.effective_storage_slice_import(), 16384);
  EXPECT_TRUE(Parse(R"({"storage_slice_import": -7})", &c).ok());
  EXPECT_EQ(c.effective_storage_slice_import(), 1);
}

TEST(RedisTableConfigTest, HostsAndPortsMustPair) {
  EXPECT_EQ(ParseError(R"({"redis_host_ip": ["a", "b"]})"),
            "redis_host_ip and redis_host_port must have the same non-zero "
            "length, got 2 and 1");
  EXPECT_TRUE(Contains(
      ParseError(R"({"redis_host_ip": [], "redis_host_port": []})"),
      "got 0 and 0"));
  EXPECT_EQ(ParseError(R"({"redis_host_ip": [""]})"),
            "redis_host_ip[0] is empty");
}

TEST(RedisTableConfigTest, HashTagListsAreEmptyOrOnePerBucket) {
  EXPECT_EQ(ParseError(R"({"storage_slice": 2,
                           "redis_hash_tags_runtime": ["1", "2", "3"]})"),
            "redis_hash_tags_runtime has 3 tags but storage_slice is 2; "
            "give one tag per bucket or none");
  // The import list is checked against storage_slice_import when set...
  EXPECT_TRUE(Contains(ParseError(R"({"storage_slice": 2,
                                      "storage_slice_import": 3,
                                      "redis_hash_tags_import": ["1", "2"]})"),
                       "redis_hash_tags_import has 2 tags but "
                       "storage_slice_import is 3"));
  // ... and against storage_slice otherwise.
  RedisTableConfig c;
  EXPECT_TRUE(Parse(R"({"storage_slice": 2,
                        "redis_hash_tags_import": ["1", "2"]})", &c).ok());
  EXPECT_TRUE(Parse(R"({"storage_slice": 2, "redis_hash_tags_runtime": []})",
                    &c).ok());
}

TEST(RedisTableConfigTest, HashTagContentIsChecked) {
  EXPECT_EQ(ParseError(R"({"redis_hash_tags_runtime": ["{}"]})"),
            "redis_hash_tags_runtime[0] is empty");
  EXPECT_EQ(ParseError(R"({"redis_hash_tags_runtime": [""]})"),
            "redis_hash_tags_runtime[0] is empty");
  EXPECT_TRUE(Contains(ParseError(R"({"redis_hash_tags_runtime": ["1}2"]})"),
                       "has a brace inside the tag"));
  RedisTableConfig c;
  Strings warnings;
  ASSERT_TRUE(Parse(R"({"redis_hash_tags_runtime": ["{abc}"]})", &c,
                    &warnings).ok());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_TRUE(Contains(warnings[0], "redis_hash_tags_runtime[0]"));
  EXPECT_TRUE(Contains(warnings[0], "does not start with a digit"));
}

TEST(RedisTableConfigTest, ValueEncodingMustBeKnownAndCacheKeysInRange) {
  const std::string bad = ParseError(R"({"redis_value_encoding": "fp16"})");
  EXPECT_TRUE(Contains(bad, "redis_value_encoding must be one of raw, "
                            "float16, bfloat16, int8, got \"fp16\""))
      << bad;
  EXPECT_TRUE(Contains(ParseError(R"({"redis_read_cache_bytes": -1})"),
                       "redis_read_cache_bytes must be an integer in [0, "));
  EXPECT_TRUE(
      Contains(ParseError(R"({"redis_read_cache_staleness_ms": 0})"),
               "redis_read_cache_staleness_ms must be an integer in [1, "));
  for (const char* name : {"raw", "float16", "bfloat16", "int8"}) {
    RedisTableConfig config;
    EXPECT_TRUE(Parse(std::string(R"({"redis_value_encoding": ")") + name +
                          "\"}",
                      &config)
                    .ok())
        << name;
  }
}

TEST(RedisTableConfigTest, ModelLibDirMustNotBeEmpty) {
  EXPECT_EQ(ParseError(R"({"model_lib_abs_dir": ""})"),
            "model_lib_abs_dir must not be empty");
}

TEST(RedisTableConfigTest, UnknownKeysGiveOneWarningNamingAll) {
  RedisTableConfig c;
  Strings warnings = {"earlier"};
  ASSERT_TRUE(Parse(R"({"redis_db": 1, "bogus": 1, "storage_slcie": 2,
                        "bogus": 3})", &c, &warnings).ok());
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_EQ(warnings[0], "earlier");
  EXPECT_EQ(warnings[1],
            "Redis config: ignoring unknown keys \"bogus\", \"storage_slcie\" "
            "(did you mean storage_slice?)");
  EXPECT_EQ(c.redis_db, 1);
  EXPECT_TRUE(Parse(R"({"bogus": 1})", &c, nullptr).ok());
}

TEST(RedisTableConfigTest, DuplicateKeysLastWins) {
  RedisTableConfig c;
  ASSERT_TRUE(Parse(R"({"redis_db": 1, "redis_db": 2})", &c).ok());
  EXPECT_EQ(c.redis_db, 2);
  // Only the last occurrence is read, so an earlier wrong type is ignored.
  ASSERT_TRUE(Parse(R"({"redis_db": "x", "redis_db": 4})", &c).ok());
  EXPECT_EQ(c.redis_db, 4);
  EXPECT_EQ(ParseError(R"({"redis_db": 4, "redis_db": "x"})"),
            "redis_db should be json integer");
}

TEST(RedisTableConfigTest, MalformedJsonSaysWhereAndWhy) {
  // Each message is pinned in redis_table_config_errors_test.cc.
  EXPECT_EQ(ParseError(R"({"redis_db": 1} x)"),
            "Redis config is not valid JSON: line 1, column 17: 'x' after the "
            "end of the JSON document");
  EXPECT_TRUE(Contains(ParseError(R"({"redis_read_access_slave": False})"),
                       "use false"));
  EXPECT_TRUE(Contains(ParseError("{\"redis_db\": 1 // comment\n}"),
                       "not valid JSON"));
  EXPECT_TRUE(Contains(ParseError(""), "not valid JSON"));
  EXPECT_TRUE(Contains(ParseError(R"({"redis_db": )"), "not valid JSON"));
}

TEST(RedisTableConfigTest, RootMustBeAnObject) {
  for (const char* json : {"[]", "1", "\"text\"", "null", "true"}) {
    EXPECT_EQ(ParseError(json),
              "Redis config must be a JSON object at the top level")
        << json;
  }
}

TEST(RedisTableConfigTest, ErrorLeavesOutputUntouched) {
  RedisTableConfig c;
  c.redis_db = 7;
  Strings warnings;
  EXPECT_FALSE(Parse(R"({"redis_db": 1, "bogus": 0, "storage_slice": 0})", &c,
                     &warnings).ok());
  EXPECT_EQ(c.redis_db, 7);
  EXPECT_TRUE(warnings.empty());
}

TEST(RedisTableConfigTest, BinaryAndUnicodeStringsSurvive) {
  RedisTableConfig c;
  ASSERT_TRUE(Parse(R"({"model_tag_runtime": "a\u0000b", "redis_password":
                        "p\u00e9\"q"})", &c).ok());
  EXPECT_EQ(c.model_tag_runtime, std::string("a\0b", 3));
  EXPECT_EQ(c.redis_password, "p\xc3\xa9\"q");
}

TEST(ValidateRedisTableConfigTest, ChecksConfigsBuiltInCode) {
  RedisTableConfig c;
  EXPECT_TRUE(ValidateRedisTableConfig(c, nullptr).ok());
  c.storage_slice = 0;
  EXPECT_TRUE(Contains(ValidateRedisTableConfig(c, nullptr).message(),
                       "storage_slice must"));
  c = RedisTableConfig();
  c.redis_host_port = {6379, 6380};
  EXPECT_FALSE(ValidateRedisTableConfig(c, nullptr).ok());
  c = RedisTableConfig();
  c.redis_host_port = {0};
  EXPECT_TRUE(Contains(ValidateRedisTableConfig(c, nullptr).message(),
                       "redis_host_port must be an integer in [1, 65535]"));
  c = RedisTableConfig();
  c.redis_read_access_slave = true;  // booleans have no range
  EXPECT_TRUE(ValidateRedisTableConfig(c, nullptr).ok());
  c.redis_connection_mode = static_cast<redis_client::Mode>(9);
  EXPECT_TRUE(Contains(ValidateRedisTableConfig(c, nullptr).message(),
                       "redis_connection_mode must"));
}

TEST(ConfigFieldsTest, TableDescribesEveryKeyOnce) {
  const std::vector<ConfigField>& fields = ConfigFields();
  EXPECT_EQ(fields.size(), 31u + 13u);  // upstream's 31 keys + ours
  std::set<std::string_view> names;
  for (const ConfigField& field : fields) {
    EXPECT_TRUE(names.insert(field.name).second) << field.name;
    EXPECT_FALSE(field.doc.empty()) << field.name;
    EXPECT_LE(field.min_value, field.max_value) << field.name;
  }
  EXPECT_EQ(fields[30].name, "model_lib_abs_dir");  // upstream's come first
}

TEST(ConfigFieldsTest, Int32FieldRangesFitTheirMembers) {
  constexpr int64_t kMin = std::numeric_limits<int32_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
  for (const ConfigField& field : ConfigFields()) {
    const bool is_int32 =
        std::holds_alternative<int32_t RedisTableConfig::*>(field.member) ||
        std::holds_alternative<std::vector<int32_t> RedisTableConfig::*>(
            field.member) ||
        std::holds_alternative<redis_client::Mode RedisTableConfig::*>(
            field.member) ||
        std::holds_alternative<TableStoreMode RedisTableConfig::*>(
            field.member);
    if (!is_int32) continue;
    EXPECT_GE(field.min_value, kMin) << field.name;
    EXPECT_LE(field.max_value, kMax) << field.name;
  }
}

const ConfigField& FieldNamed(std::string_view name) {
  for (const ConfigField& field : ConfigFields()) {
    if (field.name == name) return field;
  }
  ADD_FAILURE() << "no field " << name;
  return ConfigFields().front();
}

TEST(ConfigFieldsTest, TypesUnitsAndDefaultsComeFromTheStruct) {
  EXPECT_EQ(FieldNamed("redis_connection_mode").json_type(), "integer");
  EXPECT_EQ(FieldNamed("redis_connection_mode").default_text(), "1");
  EXPECT_EQ(FieldNamed("redis_master_name").json_type(), "string");
  EXPECT_EQ(FieldNamed("redis_master_name").default_text(), "\"master\"");
  EXPECT_EQ(FieldNamed("redis_host_ip").json_type(), "string array");
  EXPECT_EQ(FieldNamed("redis_host_ip").default_text(), "[\"127.0.0.1\"]");
  EXPECT_EQ(FieldNamed("redis_host_port").json_type(), "integer array");
  EXPECT_EQ(FieldNamed("redis_host_port").default_text(), "[6379]");
  EXPECT_EQ(FieldNamed("redis_read_access_slave").json_type(), "boolean");
  EXPECT_EQ(FieldNamed("redis_read_access_slave").default_text(), "false");
  EXPECT_EQ(FieldNamed("redis_hash_tags_runtime").default_text(), "[]");
  EXPECT_EQ(FieldNamed("redis_wait_timeout").default_text(), "100000000");
  EXPECT_EQ(FieldNamed("redis_wait_timeout").unit, "ms");
  EXPECT_EQ(FieldNamed("redis_connection_lifetime").unit, "min");
  EXPECT_EQ(FieldNamed("expire_model_tag_in_seconds").unit, "s");
  EXPECT_EQ(FieldNamed("keys_sending_size").default_text(), "1024");
  EXPECT_EQ(FieldNamed("storage_slice_import").default_text(), "-1");
  EXPECT_EQ(FieldNamed("table_store_mode").default_text(), "1");
  EXPECT_EQ(FieldNamed("redis_password").default_text(), "\"\"");
}

TEST(ConfigFieldsTest, DefaultTextsParseBackToTheDefaults) {
  // Each default, written as JSON and parsed, reproduces itself.
  std::string json = "{";
  for (const ConfigField& field : ConfigFields()) {
    if (json.size() > 1) json += ", ";
    json += "\"" + std::string(field.name) + "\": " + field.default_text();
  }
  json += "}";
  RedisTableConfig parsed;
  parsed.redis_db = 5;
  ASSERT_TRUE(Parse(json, &parsed).ok()) << json;
  const RedisTableConfig defaults;
  for (const ConfigField& field : ConfigFields()) {
    const bool same = std::visit(
        [&](auto member) { return parsed.*member == defaults.*member; },
        field.member);
    EXPECT_TRUE(same) << field.name << " = " << field.default_text();
  }
}

}  // namespace
}  // namespace redis_table
}  // namespace tfra

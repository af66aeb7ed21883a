#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_opener.h"

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/store_test_util.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_test_util.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/command.h"

namespace tfra {
namespace redis_table {
namespace {

namespace client_util = redis_client::test_util;
using redis_client::Mode;
using redis_client::Access;
using redis_client::Command;

// Opens the table "emb" (8-byte values) with the config file at `path`.
// Opens table "emb" of 2 values a row (the kernel's request).
Result<std::unique_ptr<OpenedTable>> OpenWithConfig(
    const std::string& path, ElementType value_type = ElementType::kFloat32) {
  TableRequest request;
  request.embedding_name = "emb";
  request.config_path_attr = path;
  request.value_bytes = 2 * ElementSize(value_type);
  request.value_type = value_type;
  request.dim = 2;
  return OpenRedisTable(
      request, [](const char*) -> const char* { return nullptr; }, nullptr);
}

std::string TempPath(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

// Opens tables through the whole opening sequence (config file, client,
// layout, migration, TTLs) against a real deployment.
class RedisTableOpenerTest : public ::testing::TestWithParam<Mode> {
 protected:
  void SetUp() override {
    servers_ = client_util::StartServers(GetParam());
    ASSERT_NE(servers_, nullptr);
    client_ = client_util::MakeClient(client_util::OptionsFor(*servers_));
    ASSERT_NE(client_, nullptr);
    config_path_ =
        TempPath(std::string(redis_client::ModeName(GetParam())) +
                 "_config.json");
    WriteConfig();
  }

  // `extra`: more JSON members, each preceded by a comma.
  void WriteConfig(const std::string& extra = "") {
    const bool cluster = GetParam() == Mode::kCluster;
    std::string ips, ports;
    for (const auto& node : servers_->nodes()) {
      if (node.role != "master") continue;
      ips += (ips.empty() ? "\"" : ",\"") + servers_->host() + "\"";
      ports += (ports.empty() ? "" : ",") + std::to_string(node.port);
    }
    std::ofstream(config_path_)
        << "{\"redis_connection_mode\": " << (cluster ? 0 : 2)
        << ", \"redis_host_ip\": [" << ips << "], \"redis_host_port\": ["
        << ports << "], \"storage_slice\": 4, \"model_tag_runtime\": \"v\""
        << extra << "}";
  }

  Result<std::unique_ptr<OpenedTable>> TryOpen(
      ElementType value_type = ElementType::kFloat32) {
    return OpenWithConfig(config_path_, value_type);
  }

  std::unique_ptr<OpenedTable> Open() {
    auto opened = TryOpen();
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    return opened.ok() ? std::move(opened).value() : nullptr;
  }

  // The error of opening with redis_value_encoding `encoding`.
  Status OpenWithEncoding(const std::string& encoding,
                          ElementType value_type = ElementType::kFloat32) {
    WriteConfig(", \"redis_value_encoding\": \"" + encoding + "\"");
    auto opened = TryOpen(value_type);
    return opened.ok() ? Status::Ok() : opened.status();
  }

  std::string RecordedEncoding() {
    const std::string record = "v:emb{tfra_layout}";
    auto reply = client_->Run(record, Command{"HGET", record, "value_encoding"},
                              Access::kRead);
    EXPECT_TRUE(reply.ok());
    return reply.ok() && !reply->is_nil() ? std::string(reply->text()) : "";
  }

  // Runs `command` on every master and returns the replies' text, joined.
  std::string OnEveryMaster(const Command& command) {
    std::string text;
    redis_client::Status status = client_->ForEachMaster(
        [&](redis_client::NodeSession& session) -> redis_client::Status {
          auto reply = session.Run(command);
          if (!reply.ok()) return reply.status();
          auto bytes = reply->AsString();
          if (bytes.ok()) text += std::string(*bytes);
          return redis_client::Status();
        });
    EXPECT_TRUE(status.ok()) << status.ToString();
    return text;
  }

  std::unique_ptr<redis_client::testing::RedisServers> servers_;
  std::shared_ptr<redis_client::RedisClient> client_;
  std::string config_path_;
};

TEST_P(RedisTableOpenerTest, OpeningAgainClearsTtlsAndOtherwiseWritesNothing) {
  auto first = Open();
  ASSERT_NE(first, nullptr);
  test_util::Int64Keys keys;
  test_util::MakeKeys(200, 3, 4, &keys);
  ASSERT_TRUE(first->store->Insert(keys.batch, keys.batch.fields, nullptr).ok());
  const std::string bucket = first->store->settings().bucket_keys.front();
  auto expired = client_->Run(
      bucket, redis_client::Expire(bucket, std::chrono::seconds(600)),
      Access::kWrite);
  ASSERT_TRUE(expired.ok());

  // The TTL an earlier process left is cleared...
  ASSERT_NE(Open(), nullptr);
  auto ttl = client_->Run(bucket, Command{"PTTL", bucket}, Access::kRead);
  ASSERT_TRUE(ttl.ok());
  EXPECT_EQ(*ttl->AsInteger(), -1);

  // ...and with the data in place, opening sends no write command at all.
  OnEveryMaster(Command{"CONFIG", "RESETSTAT"});
  ASSERT_NE(Open(), nullptr);
  const std::string stats = OnEveryMaster(Command{"INFO", "commandstats"});
  EXPECT_NE(stats.find("cmdstat_pttl"), std::string::npos) << stats;
  for (const char* write : {"cmdstat_hset", "cmdstat_persist", "cmdstat_del",
                            "cmdstat_expire", "cmdstat_hdel"}) {
    EXPECT_EQ(stats.find(write), std::string::npos) << write << "\n" << stats;
  }
  EXPECT_EQ(*first->store->Size(), 200);
}

TEST_P(RedisTableOpenerTest, AnEncodedTableRecordsItsEncodingAndRefusesOthers) {
  WriteConfig(", \"redis_value_encoding\": \"float16\"");
  auto table = Open();
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->row_encoding, RowEncoding::kFloat16);
  EXPECT_EQ(table->store->settings().value_bytes, 4u);  // 2 halves
  EXPECT_EQ(RecordedEncoding(), "float16");
  test_util::Int64Keys keys;
  test_util::MakeKeys(1, 1, 4, &keys);
  ASSERT_TRUE(
      table->store->Insert(keys.batch, {std::string_view("abcd")}, nullptr)
          .ok());
  for (const char* other : {"raw", "int8", "bfloat16"}) {
    const Status status = OpenWithEncoding(other);
    EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition) << other;
    EXPECT_NE(status.message().find(
                  "its rows are stored with redis_value_encoding \"float16\", "
                  "but the config says \"" +
                  std::string(other) + "\""),
              std::string::npos)
        << status.message();
  }
  EXPECT_TRUE(OpenWithEncoding("float16").ok());
  // Emptied, the table takes another encoding (raw: the field goes).
  ASSERT_TRUE(table->store->Clear().ok());
  EXPECT_TRUE(OpenWithEncoding("raw").ok());
  EXPECT_EQ(RecordedEncoding(), "");
  EXPECT_TRUE(OpenWithEncoding("int8").ok());
  EXPECT_EQ(RecordedEncoding(), "int8");
}

TEST_P(RedisTableOpenerTest, RawRowsRefuseACompactEncodingAndRecordNothing) {
  auto raw = Open();
  ASSERT_NE(raw, nullptr);
  test_util::Int64Keys keys;
  test_util::MakeKeys(10, 1, 4, &keys);
  const std::string row(8, 'x');
  ASSERT_TRUE(raw->store
                  ->Insert(keys.batch,
                           std::vector<std::string_view>(10, row), nullptr)
                  .ok());
  EXPECT_EQ(RecordedEncoding(), "");  // raw tables write no encoding
  const Status status = OpenWithEncoding("int8");
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("stored with redis_value_encoding \"raw\""),
            std::string::npos)
      << status.message();
  EXPECT_EQ(RecordedEncoding(), "");
}

TEST_P(RedisTableOpenerTest, OnlyFloatTablesTakeACompactEncoding) {
  const Status status = OpenWithEncoding("bfloat16", ElementType::kInt64);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("applies to float32 values only; table "
                                  "'emb' holds int64 values"),
            std::string::npos)
      << status.message();
}

INSTANTIATE_TEST_SUITE_P(AllModes, RedisTableOpenerTest,
                         ::testing::Values(Mode::kStandalone, Mode::kCluster),
                         client_util::ModeTestName);

// A config without redis_connection_mode (upstream's default, Sentinel).
class DefaultConnectionModeTest : public ::testing::Test {
 protected:
  // Writes a config naming `host`:`port`, plus `extra` keys (JSON text
  // starting with a comma), and opens the table with it.
  Result<std::unique_ptr<OpenedTable>> OpenNaming(const std::string& host,
                                                  int port,
                                                  const std::string& extra) {
    const std::string path = TempPath("default_mode_config.json");
    std::ofstream(path) << "{\"redis_host_ip\": [\"" << host
                        << "\"], \"redis_host_port\": [" << port << "]"
                        << extra << "}";
    return OpenWithConfig(path);
  }

  static bool Warned(const OpenedTable& table, const std::string& text) {
    for (const std::string& warning : table.warnings) {
      if (warning.find(text) != std::string::npos) return true;
    }
    return false;
  }
};

TEST_F(DefaultConnectionModeTest, APlainRedisIsReachedDirectlyWithAWarning) {
  auto servers = client_util::StartServers(Mode::kStandalone);
  ASSERT_NE(servers, nullptr);
  auto opened =
      OpenNaming(servers->host(), servers->nodes().front().port, "");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ((*opened)->config.redis_connection_mode, Mode::kStandalone);
  EXPECT_TRUE(Warned(**opened, "connecting to it directly"));
  test_util::Int64Keys keys;
  test_util::MakeKeys(10, 1, 1, &keys);
  ASSERT_TRUE(
      (*opened)->store->Insert(keys.batch, keys.batch.fields, nullptr).ok());
  EXPECT_EQ(*(*opened)->store->Size(), 10);
}

TEST_F(DefaultConnectionModeTest, SentinelsAreStillUsedAsSentinels) {
  auto servers = client_util::StartServers(Mode::kSentinel);
  ASSERT_NE(servers, nullptr);
  auto opened = OpenNaming(servers->host(), servers->sentinels().front().port,
                           ", \"redis_master_name\": \"" +
                               servers->master_name() + "\"");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ((*opened)->config.redis_connection_mode, Mode::kSentinel);
  EXPECT_FALSE(Warned(**opened, "directly"));
}

TEST_F(DefaultConnectionModeTest, AnExplicitSentinelModeIsNeverChanged) {
  auto servers = client_util::StartServers(Mode::kStandalone);
  ASSERT_NE(servers, nullptr);
  auto opened = OpenNaming(servers->host(), servers->nodes().front().port,
                           ", \"redis_connection_mode\": 1");
  EXPECT_EQ(opened.status().code(), StatusCode::kUnavailable)
      << opened.status().ToString();
}

TEST_F(DefaultConnectionModeTest, NoReachableNodeFailsInUpstreamsWords) {
  auto opened = OpenNaming("127.0.0.1", client_util::UnusedPort(),
                           ", \"redis_connection_mode\": 2");
  EXPECT_EQ(opened.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(opened.status().message().find(
                "Exit without any Redis connection"),
            std::string::npos)
      << opened.status().ToString();
}

}  // namespace
}  // namespace redis_table
}  // namespace tfra

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/store_test_util.h"

#include <cctype>
#include <cstdlib>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/bucket_hash.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/value_codec.h"

namespace tfra {
namespace redis_table {
namespace test_util {

void MakeKeys(size_t n, int64_t stride, uint32_t storage_slice, Int64Keys* out) {
  out->keys.resize(n);
  out->batch = KeyBatch();
  for (size_t i = 0; i < n; ++i) out->keys[i] = static_cast<int64_t>(i) * stride;
  for (const int64_t& key : out->keys) {
    out->batch.fields.push_back(KeyBytes(key));
    out->batch.buckets.push_back(KeyBucket(key, storage_slice, false));
  }
}

RedisTableConfig LayoutConfig(int32_t storage_slice, const std::string& tag) {
  RedisTableConfig config;
  config.storage_slice = storage_slice;
  config.model_tag_runtime = tag;
  config.model_tag_import = tag;
  config.redis_hash_tags_hypodispersion = true;
  return config;
}

std::unique_ptr<RedisTableStore> MakeStore(
    std::shared_ptr<redis_client::RedisClient> client,
    const RedisTableConfig& config, const std::string& embedding_name,
    size_t keys_sending_size, AccumPaths accum_paths) {
  auto layout = TableKeyLayout::Create(config, embedding_name, {});
  if (!layout.ok()) return nullptr;
  StoreSettings settings;
  settings.table_description = "test table '" + embedding_name + "'";
  settings.bucket_keys = layout->runtime_buckets();
  settings.keys_sending_size = keys_sending_size;
  settings.accum_paths = accum_paths;
  return std::make_unique<RedisTableStore>(std::move(client), settings);
}

int64_t CommandCalls(redis_client::RedisClient& client,
                     const std::string& command) {
  const std::string prefix = "cmdstat_" + command + ":calls=";
  int64_t calls = 0;
  const redis_client::Status status =
      client.ForEachMaster([&](redis_client::NodeSession& node) {
        auto reply = node.Run(redis_client::Info("commandstats"));
        if (!reply.ok()) return reply.status();
        // Module commands keep the case they were registered with
        // (cmdstat_HMACCUM); the server's own are lower case.
        std::string stats(reply->text());
        for (char& c : stats) c = static_cast<char>(std::tolower(c));
        for (size_t at = stats.find(prefix); at != std::string::npos;
             at = stats.find(prefix, at + 1)) {
          calls += std::atoll(stats.data() + at + prefix.size());
        }
        return reply->ToStatus();
      });
  EXPECT_TRUE(status.ok()) << status.ToString();
  return status.ok() ? calls : -1;
}

void ResetCommandStats(redis_client::RedisClient& client) {
  const redis_client::Status status =
      client.ForEachMaster([](redis_client::NodeSession& node) {
        auto reply = node.Run(redis_client::Command{"CONFIG", "RESETSTAT"});
        return reply.ok() ? reply->ToStatus() : reply.status();
      });
  EXPECT_TRUE(status.ok()) << status.ToString();
}

redis_client::test_util::DeploymentSpec StoreTest::Spec() const {
  redis_client::test_util::DeploymentSpec spec;
  spec.mode = GetParam();
  spec.options.modules = Modules();
  return spec;
}

void StoreTest::SetUp() {
  ASSERT_NO_FATAL_FAILURE(
      redis_client::test_util::AllModesServersTest::SetUp());
  client_ = redis_client::test_util::MakeClient(
      redis_client::test_util::OptionsFor(*servers_));
  ASSERT_NE(client_, nullptr);
  tag_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  tag_ = tag_.substr(0, tag_.find('/'));
}

std::unique_ptr<RedisTableStore> StoreTest::Store(int32_t slices,
                                                  size_t chunk,
                                                  AccumPaths accum_paths) {
  return MakeStore(client_, LayoutConfig(slices, tag_), "emb", chunk,
                   accum_paths);
}

}  // namespace test_util
}  // namespace redis_table
}  // namespace tfra

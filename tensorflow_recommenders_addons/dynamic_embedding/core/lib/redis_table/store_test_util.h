// Test-only helpers for the table logic against real Redis deployments:
// a client for a launcher deployment and a store over a config's layout.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_STORE_TEST_UTIL_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_STORE_TEST_UTIL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gtest/gtest.h"

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/key_layout.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_config.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_store.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/value_codec.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_test_util.h"

namespace tfra {
namespace redis_table {
namespace test_util {

// int64 keys 0..n-1 (times `stride`) and their field views.
struct Int64Keys {
  std::vector<int64_t> keys;
  KeyBatch batch;  // views into `keys`; do not copy the struct
};

// Fills `out` with n keys bucketed for `storage_slice` buckets.
void MakeKeys(size_t n, int64_t stride, uint32_t storage_slice, Int64Keys* out);

// A config naming `embedding_name`'s buckets without cluster topology.
RedisTableConfig LayoutConfig(int32_t storage_slice, const std::string& tag);

// A store over `config`'s runtime buckets, using `client`.
std::unique_ptr<RedisTableStore> MakeStore(
    std::shared_ptr<redis_client::RedisClient> client,
    const RedisTableConfig& config, const std::string& embedding_name,
    size_t keys_sending_size, AccumPaths accum_paths = AccumPaths::kAll);

// The rows stored for the keys of `batch`, by key index, each of `dim`
// elements of V (absent keys missing from the map); a failed find is a test
// failure.
template <typename V>
std::map<size_t, std::vector<V>> StoredRows(const RedisTableStore& store,
                                            const KeyBatch& batch,
                                            size_t dim) {
  std::map<size_t, std::vector<V>> rows;
  std::mutex mu;
  const Status status = store.Find(
      batch,
      [&](size_t i, std::string_view stored) {
        std::vector<V> row(dim);
        Status decoded = DecodePodRow(stored, dim, row.data());
        std::lock_guard<std::mutex> lock(mu);
        rows[i] = std::move(row);
        return decoded;
      },
      nullptr);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return rows;
}

// Calls of `command` (lower case; module commands too) on every master
// since the last ResetCommandStats; -1 (and a test failure) when a
// master cannot be asked.
int64_t CommandCalls(redis_client::RedisClient& client,
                     const std::string& command);
void ResetCommandStats(redis_client::RedisClient& client);

// Base of table-logic suites run in several modes (GetParam()): one shared
// deployment per mode for the whole suite (starting a cluster costs
// seconds), a client for it, and a model tag unique to the test.
class StoreTest : public redis_client::test_util::AllModesServersTest {
 protected:
  redis_client::test_util::DeploymentSpec Spec() const override;
  void SetUp() override;

  // What the fixture's Spec() starts: `GetParam()`, with every data node
  // loading the modules named here (none by default).
  virtual std::vector<std::string> Modules() const { return {}; }

  // A store of `slices` buckets under this test's tag.
  std::unique_ptr<RedisTableStore> Store(
      int32_t slices, size_t chunk = 100,
      AccumPaths accum_paths = AccumPaths::kAll);

  std::shared_ptr<redis_client::RedisClient> client_;
  std::string tag_;  // the test's name, without the mode suffix
};

}  // namespace test_util
}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_STORE_TEST_UTIL_H_

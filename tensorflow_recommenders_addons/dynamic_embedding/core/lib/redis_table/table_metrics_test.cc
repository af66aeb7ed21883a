// What a table's metrics count (table_metrics.h), and lookups that degrade
// on purpose (StoreSettings::read_fallback_to_default) when Redis is a black
// hole, with and without the circuit breaker.
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_metrics.h"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/store_test_util.h"

namespace tfra {
namespace redis_table {
namespace {

namespace client_util = redis_client::test_util;
using redis_client::Mode;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

int64_t CounterValue(const std::string& name, const metrics::Labels& labels) {
  return metrics::MetricsRegistry::Global().GetCounter(name, labels, "")
      ->value();
}

TEST(TableMetricsTest, RecordCountsCallsKeysLatencyAndErrorsByKind) {
  const TableMetrics metrics("unit:emb");
  const auto start = Clock::now() - milliseconds(3);
  EXPECT_TRUE(metrics.Record(TableOp::kInsert, 7, start, Status::Ok()).ok());
  const Status failed = UnavailableError("down");
  EXPECT_EQ(metrics.Record(TableOp::kInsert, 2, start, failed).code(),
            StatusCode::kUnavailable);
  const metrics::Labels insert = {{"table", "unit:emb"}, {"op", "insert"}};
  EXPECT_EQ(CounterValue("tfra_redis_table_calls_total", insert), 2);
  EXPECT_EQ(CounterValue("tfra_redis_table_keys_total", insert), 9);
  EXPECT_EQ(CounterValue("tfra_redis_table_errors_total",
                         {{"table", "unit:emb"},
                          {"op", "insert"},
                          {"kind", "unavailable"}}),
            1);
  const auto latency =
      metrics::MetricsRegistry::Global()
          .GetHistogram("tfra_redis_table_latency_seconds", insert, "")
          ->Read();
  EXPECT_EQ(latency.count, 2);
  EXPECT_GE(latency.sum_us, 6000);
}

class DegradedReadTest : public ::testing::Test {
 protected:
  // A standalone server, a 300 ms socket timeout, a store of 2 buckets
  // whose first 50 of 100 keys are stored.
  void Start(bool fallback, int breaker_failures) {
    servers_ = client_util::StartServers(Mode::kStandalone);
    ASSERT_NE(servers_, nullptr);
    redis_client::ClientOptions options = client_util::OptionsFor(*servers_);
    options.connection.socket_timeout = milliseconds(300);
    options.breaker.failures = breaker_failures;
    options.breaker.cooldown = milliseconds(60000);
    client_ = client_util::MakeClient(options);
    ASSERT_NE(client_, nullptr);
    table_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    auto layout = TableKeyLayout::Create(test_util::LayoutConfig(2, "t"),
                                         "emb", {});
    StoreSettings settings;
    settings.table_description = "table '" + table_ + "'";
    settings.metrics_table = table_;
    settings.bucket_keys = layout->runtime_buckets();
    settings.read_fallback_to_default = fallback;
    store_ = std::make_unique<RedisTableStore>(client_, settings);
    test_util::MakeKeys(100, 1, 2, &keys_);
    test_util::Int64Keys stored;
    test_util::MakeKeys(50, 1, 2, &stored);
    ASSERT_TRUE(store_->Insert(stored.batch, stored.batch.fields, nullptr).ok());
  }

  Status Find(size_t* found) {
    *found = 0;
    return store_->Find(
        keys_.batch,
        [found](size_t, std::string_view) {
          ++*found;
          return Status::Ok();
        },
        nullptr);
  }

  int64_t Table(const std::string& name) {
    return CounterValue(name, {{"table", table_}});
  }

  void Pause() {
    std::string error;
    ASSERT_TRUE(servers_->Pause(servers_->nodes()[0].port, &error)) << error;
  }

  std::unique_ptr<client_util::RedisServers> servers_;
  std::shared_ptr<redis_client::RedisClient> client_;
  std::string table_;
  std::unique_ptr<RedisTableStore> store_;
  test_util::Int64Keys keys_;
};

TEST_F(DegradedReadTest, MissesAreCountedAndAnUnreachableRedisFailsTheFind) {
  ASSERT_NO_FATAL_FAILURE(Start(/*fallback=*/false, 0));
  size_t found = 0;
  ASSERT_TRUE(Find(&found).ok());
  EXPECT_EQ(found, 50u);
  EXPECT_EQ(Table("tfra_redis_table_misses_total"), 50);
  ASSERT_NO_FATAL_FAILURE(Pause());
  const Status status = Find(&found);
  EXPECT_EQ(status.code(), StatusCode::kUnavailable) << status.ToString();
  EXPECT_EQ(Table("tfra_redis_table_degraded_rows_total"), 0);
  EXPECT_EQ(CounterValue("tfra_redis_table_errors_total",
                         {{"table", table_},
                          {"op", "find"},
                          {"kind", "unavailable"}}),
            1);
}

TEST_F(DegradedReadTest, DefaultValuesPolicyAnswersEveryKeyAndCountsTheRows) {
  ASSERT_NO_FATAL_FAILURE(Start(/*fallback=*/true, 0));
  ASSERT_NO_FATAL_FAILURE(Pause());
  size_t found = 0;
  const auto start = Clock::now();
  const Status status = Find(&found);
  EXPECT_TRUE(status.ok()) << status.ToString();
  EXPECT_LT(Clock::now() - start, milliseconds(1500));
  EXPECT_EQ(found, 0u);  // the caller fills all 100 with defaults
  EXPECT_EQ(Table("tfra_redis_table_degraded_rows_total"), 100);
  EXPECT_EQ(Table("tfra_redis_table_misses_total"), 0);
  // Writes never degrade.
  EXPECT_EQ(store_->Insert(keys_.batch, keys_.batch.fields, nullptr).code(),
            StatusCode::kUnavailable);
}

TEST_F(DegradedReadTest, OpenBreakerMakesDegradedFindsImmediate) {
  ASSERT_NO_FATAL_FAILURE(Start(/*fallback=*/true, 1));
  ASSERT_NO_FATAL_FAILURE(Pause());
  size_t found = 0;
  ASSERT_TRUE(Find(&found).ok());  // times out, opens the circuit
  for (int call = 0; call < 20; ++call) {
    const auto start = Clock::now();
    ASSERT_TRUE(Find(&found).ok());
    EXPECT_LT(Clock::now() - start, milliseconds(50));
  }
  EXPECT_EQ(Table("tfra_redis_table_degraded_rows_total"), 21 * 100);
}

}  // namespace
}  // namespace redis_table
}  // namespace tfra

// The table's accum paths (RedisTableStore: HMACCUM where the module is
// loaded, WATCH/MULTI/EXEC transactions, the Lua script) and HMACCUM sent by
// hand, fed the same rows, deltas and exists flags, leave bit-identical
// buckets: float and double sums are rounded once on every path, integers
// wrap alike, repeated keys apply in order, stale flags are ignored alike,
// and a row of the wrong size fails every path with the same text.
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_store.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/store_test_util.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/value_codec.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/redis_module/module_test_util.h"

namespace tfra {
namespace redis_module {
namespace {

using redis_client::Access;
using redis_client::Command;
using redis_table::AccumElement;
using redis_table::AccumPaths;
using redis_table::KeyBatch;
using redis_table::RedisTableStore;
using Rows = std::map<std::string, std::string>;

// Random elements whose sums round (floats spread over many binades) or
// wrap (int8, int32). int64 elements stay within +-2^47, so that the sums of
// a key's few repeats stay within +-2^53, where the script's Lua doubles
// add exactly (IntegersBeyondADoublesRange... covers the rest).
template <typename V>
V RandomElement(std::mt19937_64& random) {
  if constexpr (std::is_floating_point_v<V>) {
    std::uniform_real_distribution<V> mantissa(-1, 1);
    std::uniform_int_distribution<int> exponent(-20, 20);
    return std::ldexp(mantissa(random), exponent(random));
  } else if constexpr (sizeof(V) == 8) {
    return static_cast<V>(random() % (uint64_t{1} << 48)) - (V{1} << 47);
  } else {
    return static_cast<V>(random());
  }
}

template <typename V>
std::string RandomRow(std::mt19937_64& random, size_t dim) {
  std::vector<V> row(dim);
  for (V& v : row) v = RandomElement<V>(random);
  return std::string(redis_table::PodRowBytes(row.data(), dim));
}

// One accum call: keys drawn with repeats from a pool whose even members
// are stored beforehand, a delta per key, and exists flags as a caller's
// lookup would set them, a tenth of them stale.
struct Workload {
  std::vector<int64_t> pool;
  Rows initial;  // field -> row, stored before the call
  std::vector<int64_t> keys;
  KeyBatch batch;  // views into keys
  std::vector<std::string> deltas;
  std::vector<uint8_t> exists;
};

template <typename V>
void MakeWorkload(size_t dim, uint64_t seed, Workload* w) {
  std::mt19937_64 random(seed);
  for (int64_t i = 0; i < 200; ++i) w->pool.push_back(i * 7 + 3);
  for (size_t i = 0; i < w->pool.size(); i += 2) {
    w->initial[std::string(redis_table::KeyBytes(w->pool[i]))] =
        RandomRow<V>(random, dim);
  }
  std::uniform_int_distribution<size_t> pick(0, w->pool.size() - 1);
  for (int i = 0; i < 600; ++i) w->keys.push_back(w->pool[pick(random)]);
  for (const int64_t& key : w->keys) {
    const std::string_view field = redis_table::KeyBytes(key);
    w->batch.fields.push_back(field);
    w->batch.buckets.push_back(0);
    w->deltas.push_back(RandomRow<V>(random, dim));
    const bool stored = w->initial.count(std::string(field)) > 0;
    w->exists.push_back((random() % 10 == 0) ? !stored : stored);
  }
}

class HmaccumEquivalenceTest : public redis_table::test_util::StoreTest {
 protected:
  redis_client::test_util::DeploymentSpec Spec() const override {
    return test_util::ModuleDeployment(GetParam());
  }

  // A one-bucket table of this test, `chunk` keys per command; `variant`
  // tells the tables apart.
  std::unique_ptr<RedisTableStore> Table(
      const std::string& variant, AccumPaths paths = AccumPaths::kNoModule,
      size_t chunk = 64) {
    auto store = redis_table::test_util::MakeStore(
        client_, redis_table::test_util::LayoutConfig(1, tag_ + "-" + variant),
        "emb", chunk, paths);
    EXPECT_NE(store, nullptr);
    return store;
  }

  const std::string& Bucket(const RedisTableStore& store) {
    return store.settings().bucket_keys[0];
  }

  void Fill(const RedisTableStore& store, const Rows& rows) {
    KeyBatch batch;
    std::vector<std::string_view> values;
    for (const auto& [field, row] : rows) {
      batch.fields.push_back(field);
      batch.buckets.push_back(0);
      values.push_back(row);
    }
    ASSERT_TRUE(store.Insert(batch, values, nullptr).ok());
  }

  // HMACCUM on the store's bucket, `chunk` pairs per command, in order.
  redis_client::Status AccumByModule(const RedisTableStore& store,
                                     const Workload& w, const char* dtype,
                                     size_t chunk) {
    for (size_t begin = 0; begin < w.keys.size(); begin += chunk) {
      const size_t end = std::min(w.keys.size(), begin + chunk);
      std::string exists;
      Command command{"HMACCUM", Bucket(store), dtype};
      for (size_t i = begin; i < end; ++i) {
        command.Add(w.batch.fields[i]).Add(w.deltas[i]);
        exists.push_back(static_cast<char>(w.exists[i]));
      }
      command.Add(exists);
      auto reply = client_->Run(Bucket(store), command, Access::kWrite);
      if (!reply.ok()) return reply.status();
      if (reply->is_error()) return reply->ToStatus();
    }
    return redis_client::Status();
  }

  Rows Stored(const RedisTableStore& store) {
    auto reply =
        client_->Run(Bucket(store), Command{"HGETALL", Bucket(store)},
                     Access::kRead);
    EXPECT_TRUE(reply.ok());
    Rows rows;
    for (size_t i = 0; i + 1 < *reply->ArraySize(); i += 2) {
      rows[std::string(*reply->element(i).AsString())] =
          std::string(*reply->element(i + 1).AsString());
    }
    return rows;
  }

  std::vector<std::string_view> DeltaViews(const Workload& w) {
    return std::vector<std::string_view>(w.deltas.begin(), w.deltas.end());
  }

  // The four paths on four tables; every bucket must equal the module's.
  template <typename V>
  void ExpectSameBuckets(AccumElement element, const char* dtype, size_t dim) {
    Workload w;
    MakeWorkload<V>(dim, 1000 + dim, &w);
    const std::string name = std::string(dtype) + std::to_string(dim);
    auto transaction = Table(name + "-transaction"),
         script = Table(name + "-script", AccumPaths::kScriptOnly),
         table = Table(name + "-table", AccumPaths::kAll),
         module = Table(name);
    for (const auto* store :
         {transaction.get(), script.get(), table.get(), module.get()}) {
      ASSERT_NO_FATAL_FAILURE(Fill(*store, w.initial));
    }
    const auto deltas = DeltaViews(w);
    const auto by_transaction =
        transaction->Accum(w.batch, deltas, w.exists, element, nullptr);
    ASSERT_TRUE(by_transaction.ok()) << by_transaction.ToString();
    const auto by_script =
        script->AccumByScript(w.batch, deltas, w.exists, element, nullptr);
    ASSERT_TRUE(by_script.ok()) << by_script.ToString();
    const auto by_table =
        table->Accum(w.batch, deltas, w.exists, element, nullptr);
    ASSERT_TRUE(by_table.ok()) << by_table.ToString();
    const auto module_status = AccumByModule(*module, w, dtype, 64);
    ASSERT_TRUE(module_status.ok()) << module_status.ToString();
    const Rows by_module = Stored(*module);
    EXPECT_NE(by_module, w.initial) << "the workload changed nothing";
    EXPECT_GT(by_module.size(), w.initial.size()) << "no absent key was set";
    EXPECT_TRUE(Stored(*transaction) == by_module) << dtype << " dim " << dim;
    EXPECT_TRUE(Stored(*script) == by_module) << dtype << " dim " << dim;
    EXPECT_TRUE(Stored(*table) == by_module) << dtype << " dim " << dim;
  }
};

TEST_P(HmaccumEquivalenceTest, FloatBucketsAreBitIdentical) {
  ExpectSameBuckets<float>(AccumElement::kFloat, "float", 7);
  ExpectSameBuckets<float>(AccumElement::kFloat, "float", 64);
}

TEST_P(HmaccumEquivalenceTest, DoubleBucketsAreBitIdentical) {
  ExpectSameBuckets<double>(AccumElement::kDouble, "double", 9);
}

TEST_P(HmaccumEquivalenceTest, IntegerBucketsAreIdenticalAndWrapAlike) {
  ExpectSameBuckets<int32_t>(AccumElement::kInt32, "int32", 5);
  ExpectSameBuckets<int64_t>(AccumElement::kInt64, "int64", 3);
  ExpectSameBuckets<int8_t>(AccumElement::kInt8, "int8", 33);
}

TEST_P(HmaccumEquivalenceTest, IntegersBeyondADoublesRangeMatchTheTransaction) {
  // The script's Lua numbers are exact within +-2^53 only; the transaction
  // and the module add int64 exactly (and wrap).
  Workload w;
  MakeWorkload<int64_t>(2, 7, &w);
  for (std::string& delta : w.deltas) {
    const int64_t big[2] = {INT64_MAX - 5, (int64_t{1} << 60) + 1};
    delta.assign(reinterpret_cast<const char*>(big), sizeof(big));
  }
  auto transaction = Table("transaction"), module = Table("module");
  Fill(*transaction, w.initial);
  Fill(*module, w.initial);
  ASSERT_TRUE(transaction
                  ->Accum(w.batch, DeltaViews(w), w.exists,
                          AccumElement::kInt64, nullptr)
                  .ok());
  ASSERT_TRUE(AccumByModule(*module, w, "int64", 100).ok());
  EXPECT_TRUE(Stored(*transaction) == Stored(*module));
}

TEST_P(HmaccumEquivalenceTest, ARowOfTheWrongSizeFailsBothAlikeAndWritesNothing) {
  Workload w;
  MakeWorkload<float>(4, 3, &w);
  // A stored key whose delta is one element short, after 50 good pairs.
  const size_t bad = 50;
  w.keys[bad] = w.pool[0];
  w.batch.fields[bad] = redis_table::KeyBytes(w.keys[bad]);
  w.exists[bad] = 1;
  w.deltas[bad].resize(3 * sizeof(float));
  // One command each: a failed command writes nothing on either path.
  auto script = Table("script", AccumPaths::kScriptOnly, w.keys.size()),
       table = Table("table", AccumPaths::kAll, w.keys.size()),
       module = Table("module");
  Fill(*script, w.initial);
  Fill(*table, w.initial);
  Fill(*module, w.initial);
  const auto by_script = script->AccumByScript(
      w.batch, DeltaViews(w), w.exists, AccumElement::kFloat, nullptr);
  const auto by_table = table->Accum(w.batch, DeltaViews(w), w.exists,
                                     AccumElement::kFloat, nullptr);
  const auto by_module = AccumByModule(*module, w, "float", w.keys.size());
  ASSERT_FALSE(by_script.ok());
  ASSERT_FALSE(by_table.ok());
  ASSERT_FALSE(by_module.ok());
  const std::string text = "TFRA accum: field 0x0300000000000000 stores 16 "
                           "bytes, the delta has 12 bytes of 4-byte elements";
  EXPECT_NE(by_script.ToString().find(text), std::string::npos)
      << by_script.ToString();
  EXPECT_NE(by_table.ToString().find(text), std::string::npos)
      << by_table.ToString();
  EXPECT_NE(by_module.ToString().find(text), std::string::npos)
      << by_module.ToString();
  EXPECT_TRUE(Stored(*module) == w.initial);
  EXPECT_TRUE(Stored(*table) == w.initial);
  EXPECT_TRUE(Stored(*script) == w.initial);
}

INSTANTIATE_TEST_SUITE_P(
    Modes, HmaccumEquivalenceTest,
    ::testing::Values(redis_client::Mode::kStandalone,
                      redis_client::Mode::kCluster),
    redis_client::test_util::ModeTestName);

}  // namespace
}  // namespace redis_module
}  // namespace tfra

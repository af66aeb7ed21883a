#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/sizing.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/table_catalog.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/command.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/client_status.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/value_codec.h"

namespace tfra {
namespace redis_admin {
namespace {

using redis_client::Access;
using redis_table::FromClientStatus;

constexpr char kPlanModelTag[] = "tfra-redis-plan";
// A bucket this many times the mean is not chance: random ids of a table of
// any size spread within a few percent.
constexpr double kSkewedBucketFactor = 2.0;

// Deletes the scratch table however planning ends.
class ScratchTable {
 public:
  ScratchTable(const AdminSession& session, const TableLocation& table)
      : session_(session), table_(table) {}
  // Best effort: a failure that ended planning matters more than this one.
  ~ScratchTable() { (void)Drop(); }

  Status Drop() {
    for (const std::string& key : table_.bucket_keys) {
      auto reply = session_.client->Run(key, redis_client::Command{"UNLINK", key},
                                        Access::kWrite);
      if (!reply.ok()) return FromClientStatus(reply.status(), "plan cleanup");
    }
    return Status::Ok();
  }

 private:
  const AdminSession& session_;
  const TableLocation& table_;
};

// Inserts `rows` rows of random bytes with keys 0..rows-1.
Status WriteSample(const AdminSession& session, const TableLocation& table,
                   const PlanRequest& request, int64_t rows) {
  const size_t row_bytes = redis_table::RowBytes(
      redis_table::TableSchema{request.key_kind, request.value_type,
                               request.dim});
  std::mt19937_64 random(42);
  auto store = StoreFor(session, table);
  const int64_t batch_rows = 4096;
  for (int64_t first = 0; first < rows; first += batch_rows) {
    const int64_t n = std::min(batch_rows, rows - first);
    std::vector<int64_t> keys(n);
    std::string bytes(n * row_bytes, '\0');
    for (auto& byte : bytes) byte = static_cast<char>(random());
    redis_table::KeyBatch batch;
    std::vector<std::string_view> values;
    for (int64_t i = 0; i < n; ++i) {
      keys[i] = first + i;
      batch.fields.push_back(redis_table::KeyBytes(keys[i]));
      batch.buckets.push_back(0);
      values.push_back(std::string_view(bytes).substr(i * row_bytes, row_bytes));
    }
    TFRA_TABLE_RETURN_IF_ERROR(store->Insert(batch, values, nullptr));
  }
  return Status::Ok();
}

Result<int64_t> MemoryUsage(const AdminSession& session, const std::string& key) {
  auto reply = session.client->Run(
      key, redis_client::Command{"MEMORY", "USAGE", key, "SAMPLES", "0"},
      Access::kWrite);
  if (!reply.ok()) return FromClientStatus(reply.status(), "MEMORY USAGE");
  TFRA_TABLE_RETURN_IF_ERROR(FromClientStatus(reply->ToStatus(), "MEMORY USAGE"));
  auto bytes = reply->AsInteger();
  if (!bytes.ok()) return FromClientStatus(bytes.status(), "MEMORY USAGE");
  return *bytes;
}

Status CheckPlanRequest(const PlanRequest& request) {
  if (request.rows < 1 || request.dim < 1 || request.sample_rows < 1 ||
      request.bucket_limit_bytes < 1 || request.masters < 0) {
    return redis_table::InvalidArgumentError(
        "plan needs rows, dim, sample rows and the bucket limit >= 1");
  }
  if (request.value_type == redis_table::ElementType::kString) {
    return redis_table::InvalidArgumentError(
        "plan measures numeric rows; string rows vary in size");
  }
  return Status::Ok();
}

void WriteHotTable(const CatalogTable& table, int64_t limit, int masters,
                   JsonWriter* out) {
  const int64_t total = table.memory_bytes();
  const int64_t slices = std::max<int64_t>(table.storage_slice(), 1);
  int64_t largest = 0, most_rows = 0;
  std::map<std::string, int64_t> per_node;
  for (const BucketStats& bucket : table.buckets) {
    largest = std::max(largest, bucket.memory_bytes);
    most_rows = std::max(most_rows, bucket.rows);
    per_node[bucket.node] += bucket.memory_bytes;
  }
  // Skew by rows, how the keys spread: a bucket that lost rows keeps its
  // memory for a while (Redis shrinks a hash's table only when it is nearly
  // empty).
  const double mean_rows = static_cast<double>(table.rows()) / slices;
  const double skew = mean_rows > 0 ? most_rows / mean_rows : 0.0;
  // A numeric key's bucket is its value modulo storage_slice unless
  // using_hash_storage_slice hashes it: ids with a common stride (only even
  // ids, ids of one shard of a sharded id space) then share few buckets.
  const bool modulo = !table.using_hash() && table.record &&
                      table.record->schema &&
                      table.record->schema->key_kind !=
                          redis_table::KeyKind::kString;
  out->BeginObject()
      .Member("model_tag", table.model_tag)
      .Member("name", table.embedding_name)
      .Member("storage_slice", slices)
      .Member("memory_bytes", total)
      .Member("largest_bucket_bytes", largest)
      .Member("skew", skew)
      .Member("suggest_using_hash",
              modulo && slices > 1 && skew >= kSkewedBucketFactor)
      .Member("suggested_storage_slice",
              SuggestedStorageSlice(total, limit, masters, slices));
  out->Key("over_limit").BeginArray();
  for (const BucketStats& bucket : table.buckets) {
    if (bucket.memory_bytes > limit) out->String(bucket.key);
  }
  out->EndArray().Key("buckets").BeginArray();
  std::vector<BucketStats> sorted = table.buckets;
  std::sort(sorted.begin(), sorted.end(),
            [](const BucketStats& a, const BucketStats& b) {
              return a.memory_bytes > b.memory_bytes;
            });
  for (const BucketStats& bucket : sorted) {
    out->BeginObject()
        .Member("key", bucket.key)
        .Member("node", bucket.node)
        .Member("rows", bucket.rows)
        .Member("memory_bytes", bucket.memory_bytes)
        .Member("share", total > 0 ? static_cast<double>(bucket.memory_bytes) /
                                         total
                                   : 0.0)
        .EndObject();
  }
  out->EndArray().Key("nodes").BeginObject();
  for (const auto& [node, bytes] : per_node) out->Member(node, bytes);
  out->EndObject().EndObject();
}

}  // namespace

int64_t SuggestedStorageSlice(int64_t total_bytes, int64_t limit_bytes,
                              int masters, int64_t at_least) {
  masters = std::max(masters, 1);
  int64_t slices = (total_bytes + limit_bytes - 1) / limit_bytes;
  slices = std::max({slices, at_least, static_cast<int64_t>(masters)});
  return (slices + masters - 1) / masters * masters;
}

Status PlanCapacity(const AdminSession& session, const PlanRequest& request,
                    JsonWriter* out) {
  TFRA_TABLE_RETURN_IF_ERROR(CheckPlanRequest(request));
  const int64_t nonce = std::chrono::steady_clock::now().time_since_epoch().count();
  auto table = LocateTable(session, kPlanModelTag, "sample" + std::to_string(nonce));
  if (!table.ok()) return table.status();
  table->bucket_keys.resize(1);  // one bucket, whatever the config says
  ScratchTable scratch(session, *table);
  const int64_t rows = std::min(request.rows, request.sample_rows);
  TFRA_TABLE_RETURN_IF_ERROR(WriteSample(session, *table, request, rows));
  auto used = MemoryUsage(session, table->bucket_keys[0]);
  if (!used.ok()) return used.status();
  TFRA_TABLE_RETURN_IF_ERROR(scratch.Drop());

  const int masters = request.masters > 0 ? request.masters : session.master_count;
  const double per_row = static_cast<double>(*used) / rows;
  const int64_t total = static_cast<int64_t>(per_row * request.rows);
  const int64_t slices = SuggestedStorageSlice(
      total, request.bucket_limit_bytes, masters, 1);
  out->BeginObject()
      .Member("rows", request.rows)
      .Member("dim", request.dim)
      .Member("value_dtype", redis_table::ElementTypeName(request.value_type))
      .Member("row_bytes", static_cast<int64_t>(redis_table::RowBytes(
                                redis_table::TableSchema{request.key_kind,
                                                         request.value_type,
                                                         request.dim})))
      .Member("sample_rows", rows)
      .Member("sample_memory_bytes", *used)
      .Member("memory_per_row_bytes", per_row)
      .Member("total_memory_bytes", total)
      .Member("masters", masters)
      .Member("bucket_limit_bytes", request.bucket_limit_bytes)
      .Member("storage_slice", slices)
      .Member("bucket_memory_bytes", total / slices)
      .Member("per_master_memory_bytes", total / masters)
      .EndObject();
  return Status::Ok();
}

Status FindHotBuckets(const AdminSession& session, const std::string& model_tag,
                      const std::string& embedding_name,
                      int64_t bucket_limit_bytes, JsonWriter* out) {
  if (bucket_limit_bytes < 1) {
    return redis_table::InvalidArgumentError("the bucket limit must be >= 1");
  }
  auto tables = ListTables(session, model_tag);
  if (!tables.ok()) return tables.status();
  out->BeginObject()
      .Member("bucket_limit_bytes", bucket_limit_bytes)
      .Member("masters", session.master_count)
      .Key("tables")
      .BeginArray();
  bool found = embedding_name.empty();
  for (CatalogTable& table : *tables) {
    if (!embedding_name.empty() && table.embedding_name != embedding_name) {
      continue;
    }
    found = true;
    TFRA_TABLE_RETURN_IF_ERROR(MeasureTable(session, true, &table));
    WriteHotTable(table, bucket_limit_bytes, session.master_count, out);
  }
  if (!found) {
    return redis_table::NotFoundError("no table '" + embedding_name +
                                      "' under model tag '" + model_tag + "'");
  }
  out->EndArray().EndObject();
  return Status::Ok();
}

}  // namespace redis_admin
}  // namespace tfra

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/table_catalog.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/command.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/client_status.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/key_layout.h"

namespace tfra {
namespace redis_admin {
namespace {

using redis_client::Access;
using redis_client::Command;
using redis_client::RoutedCommands;
using redis_table::FromClientStatus;

constexpr std::string_view kRecordTag = "tfra_layout";

bool EndsWith(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string Hex(const std::string& bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : bytes) {
    hex += kDigits[c >> 4];
    hex += kDigits[c & 15];
  }
  return hex;
}

// SCAN patterns that find the tables of `model_tag` (all when empty).
std::vector<std::string> ScanPatterns(const AdminSession& session,
                                      const std::string& model_tag) {
  if (model_tag.empty() || session.config.using_md5_prefix_name) {
    return {"*{*}"};
  }
  return {redis_table::EscapeGlob(model_tag + ":") + "*{*}",
          redis_table::EscapeGlob(StagingTag(model_tag) + ":") + "*{*}"};
}

// Prefix -> the table's buckets found, and the prefixes with a record.
struct FoundKeys {
  std::map<std::string, std::vector<std::string>> buckets;
  std::set<std::string> records;
};

void Classify(const std::string& key, FoundKeys* found) {
  if (key.empty() || key.back() != '}') return;
  const size_t open = key.rfind('{');
  if (open == std::string::npos) return;
  const std::string prefix = key.substr(0, open);
  if (std::string_view(key).substr(open + 1, key.size() - open - 2) ==
      kRecordTag) {
    found->records.insert(prefix);
  } else if (redis_table::IsBucketOf(prefix, key)) {
    found->buckets[prefix].push_back(key);
  }
}

// Names from the record, else from the prefix. False when the prefix names
// no table (no ':').
bool NameTable(const AdminSession& session, CatalogTable* table) {
  if (table->record && table->record->model_tag &&
      table->record->embedding_name) {
    table->model_tag = *table->record->model_tag;
    table->embedding_name = *table->record->embedding_name;
    return true;
  }
  if (session.config.using_md5_prefix_name) {
    table->embedding_name = "md5:" + Hex(table->prefix);
    return true;
  }
  const size_t colon = table->prefix.find(':');
  if (colon == std::string::npos) return false;
  table->model_tag = table->prefix.substr(0, colon);
  table->embedding_name = table->prefix.substr(colon + 1);
  return true;
}

void MarkStates(std::vector<CatalogTable>* tables) {
  std::set<std::string> staging_tags;
  for (const CatalogTable& table : *tables) {
    if (EndsWith(table.model_tag, kStagingSuffix)) {
      staging_tags.insert(table.model_tag);
    }
  }
  for (CatalogTable& table : *tables) {
    if (EndsWith(table.model_tag, kStagingSuffix)) {
      table.state = TableState::kStaging;
    } else if (staging_tags.count(StagingTag(table.model_tag)) > 0) {
      table.state = TableState::kPublishing;
    }
  }
}

// Runs `build(bucket)` for every bucket, all in one batch (per node in
// Cluster); the replies, bucket by bucket.
Result<std::vector<std::vector<redis_client::Reply>>> RunPerBucket(
    const AdminSession& session, const std::vector<std::string>& keys,
    const std::function<std::vector<Command>(const std::string&)>& build) {
  std::vector<RoutedCommands> groups;
  for (const std::string& key : keys) {
    groups.push_back(RoutedCommands{key, build(key)});
  }
  auto replies =
      session.client->RunPipelines(groups, Access::kWrite, nullptr);
  if (!replies.ok()) return FromClientStatus(replies.status(), "measuring");
  for (const auto& group : *replies) {
    for (const auto& reply : group) {
      TFRA_TABLE_RETURN_IF_ERROR(
          FromClientStatus(reply.ToStatus(), "measuring"));
    }
  }
  return std::move(replies).value();
}

int64_t IntegerOr(const redis_client::Reply& reply, int64_t fallback) {
  auto value = reply.AsInteger();
  return value.ok() ? *value : fallback;
}

}  // namespace

std::string StagingTag(const std::string& model_tag) {
  return model_tag + kStagingSuffix;
}

const char* TableStateName(TableState state) {
  switch (state) {
    case TableState::kComplete:
      return "complete";
    case TableState::kStaging:
      return "staging";
    case TableState::kPublishing:
      return "publishing";
  }
  return "unknown";
}

int64_t CatalogTable::rows() const {
  int64_t total = 0;
  for (const BucketStats& bucket : buckets) total += bucket.rows;
  return total;
}

int64_t CatalogTable::memory_bytes() const {
  int64_t total = 0;
  for (const BucketStats& bucket : buckets) total += bucket.memory_bytes;
  return total;
}

namespace {

std::optional<redis_table::RecordedLayout> RecordedLayoutOf(
    const CatalogTable& table) {
  if (!table.record || !table.record->signature) return std::nullopt;
  auto layout =
      redis_table::ParseLayoutSignature(*table.record->signature, table.prefix);
  if (!layout.ok()) return std::nullopt;
  return std::move(layout).value();
}

}  // namespace

int64_t CatalogTable::storage_slice() const {
  auto layout = RecordedLayoutOf(*this);
  return layout ? static_cast<int64_t>(layout->bucket_keys.size())
                : static_cast<int64_t>(bucket_keys.size());
}

bool CatalogTable::using_hash() const {
  auto layout = RecordedLayoutOf(*this);
  return layout && layout->using_hash;
}

std::string CatalogTable::value_encoding() const {
  return ValueEncodingName(record);
}

Result<std::vector<CatalogTable>> ListTables(const AdminSession& session,
                                             const std::string& model_tag) {
  FoundKeys found;
  for (const std::string& pattern : ScanPatterns(session, model_tag)) {
    auto keys = session.client->ScanKeys(pattern);
    if (!keys.ok()) return FromClientStatus(keys.status(), "finding tables");
    for (const std::string& key : *keys) Classify(key, &found);
  }
  std::set<std::string> prefixes(found.records);
  for (const auto& entry : found.buckets) prefixes.insert(entry.first);

  std::vector<CatalogTable> tables;
  for (const std::string& prefix : prefixes) {
    CatalogTable table;
    table.prefix = prefix;
    table.bucket_keys = found.buckets[prefix];
    std::sort(table.bucket_keys.begin(), table.bucket_keys.end());
    if (found.records.count(prefix) > 0) {
      auto record = redis_table::ReadLayoutRecord(
          *session.client, redis_table::LayoutRecordKey(prefix));
      if (!record.ok()) return record.status();
      table.record = std::move(record).value();
    }
    if (!NameTable(session, &table)) continue;
    if (!model_tag.empty() && table.model_tag != model_tag &&
        table.model_tag != StagingTag(model_tag)) {
      continue;
    }
    tables.push_back(std::move(table));
  }
  MarkStates(&tables);
  std::sort(tables.begin(), tables.end(),
            [](const CatalogTable& a, const CatalogTable& b) {
              return std::tie(a.model_tag, a.embedding_name) <
                     std::tie(b.model_tag, b.embedding_name);
            });
  return tables;
}

Status MeasureTable(const AdminSession& session, bool with_nodes,
                    CatalogTable* table) {
  auto counts = RunPerBucket(
      session, table->bucket_keys, [](const std::string& key) {
        return std::vector<Command>{redis_client::Hlen(key),
                                    Command{"PTTL", key}};
      });
  if (!counts.ok()) return counts.status();
  table->buckets.clear();
  for (size_t i = 0; i < table->bucket_keys.size(); ++i) {
    BucketStats stats;
    stats.key = table->bucket_keys[i];
    stats.rows = IntegerOr((*counts)[i][0], 0);
    const int64_t ttl = IntegerOr((*counts)[i][1], -1);
    stats.ttl_ms = ttl >= 0 ? ttl : -1;
    stats.memory_sampled = stats.rows > kExactMemoryRows;
    table->buckets.push_back(std::move(stats));
  }
  size_t index = 0;
  auto memory = RunPerBucket(
      session, table->bucket_keys, [&](const std::string& key) {
        Command command{"MEMORY", "USAGE", key, "SAMPLES"};
        command.AddInt(table->buckets[index++].memory_sampled ? kMemorySamples
                                                              : 0);
        return std::vector<Command>{command};
      });
  if (!memory.ok()) return memory.status();
  for (size_t i = 0; i < table->buckets.size(); ++i) {
    table->buckets[i].memory_bytes = IntegerOr((*memory)[i][0], 0);
    if (with_nodes) {
      auto node = NodeOf(*session.client, table->buckets[i].key);
      if (!node.ok()) return node.status();
      table->buckets[i].node = std::move(node).value();
    }
  }
  return Status::Ok();
}

void WriteBucketJson(const BucketStats& bucket, JsonWriter* out) {
  out->BeginObject()
      .Member("key", bucket.key)
      .Member("node", bucket.node)
      .Member("rows", bucket.rows)
      .Member("memory_bytes", bucket.memory_bytes)
      .Member("memory_sampled", bucket.memory_sampled)
      .Member("ttl_ms", bucket.ttl_ms)
      .EndObject();
}

void WriteTableJson(const CatalogTable& table, bool bucket_details,
                    JsonWriter* out) {
  out->BeginObject()
      .Member("model_tag", table.model_tag)
      .Member("name", table.embedding_name)
      .Member("prefix", table.prefix)
      .Member("state", TableStateName(table.state))
      .Member("recorded", table.record.has_value());
  const auto& schema = table.record ? table.record->schema : std::nullopt;
  if (schema) {
    out->Member("key_dtype", redis_table::KeyKindName(schema->key_kind))
        .Member("value_dtype", redis_table::ElementTypeName(schema->value_type))
        .Member("dim", schema->dim);
  } else {
    out->Key("key_dtype").Null().Key("value_dtype").Null().Key("dim").Null();
  }
  out->Member("value_encoding", table.value_encoding());
  int64_t largest = 0, min_ttl = -1, max_ttl = -1;
  bool sampled = false;
  for (const BucketStats& bucket : table.buckets) {
    largest = std::max(largest, bucket.rows);
    sampled = sampled || bucket.memory_sampled;
    if (bucket.ttl_ms >= 0) {
      min_ttl = min_ttl < 0 ? bucket.ttl_ms : std::min(min_ttl, bucket.ttl_ms);
    }
    max_ttl = std::max(max_ttl, bucket.ttl_ms);
  }
  const int64_t rows = table.rows();
  out->Member("buckets", static_cast<int64_t>(table.buckets.size()))
      .Member("storage_slice", table.storage_slice())
      .Member("rows", rows)
      .Member("memory_bytes", table.memory_bytes())
      .Member("memory_sampled", sampled)
      .Member("ttl_min_ms", min_ttl)
      .Member("ttl_max_ms", max_ttl)
      .Member("largest_bucket_share",
              rows > 0 ? static_cast<double>(largest) / rows : 0.0);
  if (bucket_details) {
    out->Key("bucket_stats").BeginArray();
    for (const BucketStats& bucket : table.buckets) {
      WriteBucketJson(bucket, out);
    }
    out->EndArray();
  }
  out->EndObject();
}

}  // namespace redis_admin
}  // namespace tfra

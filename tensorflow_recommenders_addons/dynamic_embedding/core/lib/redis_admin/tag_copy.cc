#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/tag_copy.h"

#include <map>
#include <set>
#include <utility>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/table_catalog.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/command.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/client_status.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/key_layout.h"

namespace tfra {
namespace redis_admin {
namespace {

using redis_client::Access;
using redis_client::Command;
using redis_table::FromClientStatus;
using redis_table::LayoutRecord;

bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Result<redis_client::Reply> RunOn(const AdminSession& session,
                                  const std::string& key,
                                  const Command& command,
                                  const std::string& what) {
  auto reply = session.client->Run(key, command, Access::kWrite);
  if (!reply.ok()) return FromClientStatus(reply.status(), what);
  TFRA_TABLE_RETURN_IF_ERROR(FromClientStatus(reply->ToStatus(), what));
  return std::move(reply).value();
}

// `key` with its leading `from` prefix replaced by `to`.
std::string Reprefix(const std::string& key, const std::string& from,
                     const std::string& to) {
  return to + key.substr(from.size());
}

// RENAMENX from -> to; FailedPrecondition when `to` exists already.
Status MoveKey(const AdminSession& session, const std::string& from,
               const std::string& to) {
  auto moved = RunOn(session, from, Command{"RENAMENX", from, to},
                     "renaming " + from);
  if (!moved.ok()) return moved.status();
  if (moved->AsInteger().ok() && *moved->AsInteger() == 1) return Status::Ok();
  return redis_table::FailedPreconditionError(
      "cannot rename " + from + " to " + to +
      ": the target exists (was the source written meanwhile? stop its "
      "writers, or drop the target tag, and run again)");
}

// The table `name` of one tag, as the catalog found it.
using TablesByName = std::map<std::string, CatalogTable>;

class TagCopier {
 public:
  TagCopier(const AdminSession& session, std::string source,
            std::string target, TagCopyMode mode,
            const AdminProgressFn& progress)
      : session_(session),
        source_(std::move(source)),
        target_(std::move(target)),
        staging_(StagingTag(target_)),
        mode_(mode),
        progress_(progress) {}

  Status Run(JsonWriter* out);

 private:
  // Checks the tags, reads what both hold; the names of the tables to stage
  // or publish.
  Result<std::set<std::string>> Prepare();
  Status Load();
  Status StageAll(const std::set<std::string>& names);
  Status PublishAll();
  std::string PrefixOf(const std::string& tag, const std::string& name) const {
    return redis_table::KeyPrefix(tag, name,
                                  session_.config.using_md5_prefix_name);
  }
  Status Stage(const std::string& name);
  Status CopyBucket(const std::string& from, const std::string& to);
  // Renames a staged table's buckets to the target tag, then moves its
  // record; a bucket renamed by an earlier run is no longer staged.
  Status Publish(const CatalogTable& staged);
  Status Abandon(const CatalogTable& staged);
  // The record of `name` under `tag`, derived from what `from` recorded.
  LayoutRecord RecordFor(const std::string& name, const std::string& tag,
                         const std::optional<LayoutRecord>& from,
                         const std::string& from_prefix) const;
  Status Advance(int64_t n) {
    done_ += n;
    return progress_ ? progress_(done_, total_) : Status::Ok();
  }

  const AdminSession& session_;
  const std::string source_, target_, staging_;
  const TagCopyMode mode_;
  const AdminProgressFn& progress_;
  TablesByName source_tables_, target_tables_, staged_tables_;
  int64_t done_ = 0, total_ = 0, rows_ = 0, buckets_ = 0;
};

Status TagCopier::Load() {
  for (const std::string& tag : {source_, target_}) {
    auto tables = ListTables(session_, tag);
    if (!tables.ok()) return tables.status();
    for (CatalogTable& table : *tables) {
      if (table.model_tag.empty()) {
        return redis_table::FailedPreconditionError(
            "table " + table.embedding_name +
            " has an MD5 prefix and no layout record: its name is unknown, "
            "so its copy cannot be named");
      }
      TablesByName* into = table.model_tag == source_    ? &source_tables_
                           : table.model_tag == target_  ? &target_tables_
                           : table.model_tag == staging_ ? &staged_tables_
                                                         : nullptr;
      if (into != nullptr) into->emplace(table.embedding_name, std::move(table));
    }
  }
  return Status::Ok();
}

LayoutRecord TagCopier::RecordFor(const std::string& name,
                                  const std::string& tag,
                                  const std::optional<LayoutRecord>& from,
                                  const std::string& from_prefix) const {
  LayoutRecord record;
  if (from) record = *from;
  record.model_tag = tag;
  record.embedding_name = name;
  if (record.signature) {
    auto layout = redis_table::ParseLayoutSignature(*record.signature,
                                                    from_prefix);
    if (layout.ok()) {
      const std::string prefix = PrefixOf(tag, name);
      for (std::string& key : layout->bucket_keys) {
        key = Reprefix(key, from_prefix, prefix);
      }
      record.signature =
          redis_table::LayoutSignature(layout->bucket_keys, layout->using_hash);
    } else {
      record.signature.reset();  // the next open checks every row once
    }
  }
  return record;
}

Status TagCopier::CopyBucket(const std::string& from, const std::string& to) {
  const size_t batch = static_cast<size_t>(session_.config.keys_sending_size);
  std::vector<std::string> fields, values;
  auto flush = [&]() -> Status {
    if (fields.empty()) return Status::Ok();
    std::vector<std::string_view> field_views(fields.begin(), fields.end());
    std::vector<std::string_view> value_views(values.begin(), values.end());
    auto written = RunOn(session_, to,
                         redis_client::Hset(to, field_views, value_views),
                         "copying " + from);
    if (!written.ok()) return written.status();
    const int64_t n = static_cast<int64_t>(fields.size());
    rows_ += n;
    fields.clear();
    values.clear();
    return Advance(n);
  };
  redis_table::StoreSettings settings;
  settings.table_description = "copy of " + from;
  settings.keys_sending_size = batch;
  const redis_table::RedisTableStore reader(session_.client, settings);
  TFRA_TABLE_RETURN_IF_ERROR(reader.ScanHash(
      from, [&](std::string_view field, std::string_view value) -> Status {
        fields.emplace_back(field);
        values.emplace_back(value);
        return fields.size() >= batch ? flush() : Status::Ok();
      }));
  return flush();
}

Status TagCopier::Stage(const std::string& name) {
  auto staged = staged_tables_.find(name);
  if (staged != staged_tables_.end() && staged->second.record) {
    return Status::Ok();  // staged by an earlier run
  }
  const std::string staging_prefix = PrefixOf(staging_, name);
  auto source = source_tables_.find(name);
  if (mode_ == TagCopyMode::kCopy && staged != staged_tables_.end()) {
    for (const std::string& key : staged->second.bucket_keys) {
      auto deleted = RunOn(session_, key, redis_client::Del(key), "restaging");
      if (!deleted.ok()) return deleted.status();
    }
  }
  std::optional<LayoutRecord> source_record;
  std::string source_prefix = PrefixOf(source_, name);
  if (source != source_tables_.end()) {
    source_record = source->second.record;
    source_prefix = source->second.prefix;
    for (const std::string& key : source->second.bucket_keys) {
      const std::string to = Reprefix(key, source_prefix, staging_prefix);
      if (mode_ == TagCopyMode::kCopy) {
        TFRA_TABLE_RETURN_IF_ERROR(CopyBucket(key, to));
      } else {
        TFRA_TABLE_RETURN_IF_ERROR(MoveKey(session_, key, to));
        TFRA_TABLE_RETURN_IF_ERROR(Advance(1));
      }
    }
  }
  TFRA_TABLE_RETURN_IF_ERROR(redis_table::WriteLayoutRecord(
      *session_.client, redis_table::LayoutRecordKey(staging_prefix),
      RecordFor(name, staging_, source_record, source_prefix)));
  if (mode_ == TagCopyMode::kRename && source_record) {
    const std::string key = redis_table::LayoutRecordKey(source_prefix);
    return RunOn(session_, key, redis_client::Del(key), "renaming").status();
  }
  return Status::Ok();
}

Status TagCopier::Publish(const CatalogTable& staged) {
  const std::string& name = staged.embedding_name;
  const std::string target_prefix = PrefixOf(target_, name);
  for (const std::string& key : staged.bucket_keys) {
    TFRA_TABLE_RETURN_IF_ERROR(MoveKey(
        session_, key, Reprefix(key, staged.prefix, target_prefix)));
    ++buckets_;
  }
  TFRA_TABLE_RETURN_IF_ERROR(redis_table::WriteLayoutRecord(
      *session_.client, redis_table::LayoutRecordKey(target_prefix),
      RecordFor(name, target_, staged.record, staged.prefix)));
  const std::string record = redis_table::LayoutRecordKey(staged.prefix);
  return RunOn(session_, record, redis_client::Del(record), "publishing")
      .status();
}

// Deletes what a copy staged of a table whose source is gone.
Status TagCopier::Abandon(const CatalogTable& staged) {
  for (const std::string& key : staged.bucket_keys) {
    TFRA_TABLE_RETURN_IF_ERROR(
        RunOn(session_, key, redis_client::Del(key), "abandoning").status());
  }
  return Status::Ok();
}

Result<std::set<std::string>> TagCopier::Prepare() {
  TFRA_TABLE_RETURN_IF_ERROR(CheckModelTag(source_));
  TFRA_TABLE_RETURN_IF_ERROR(CheckModelTag(target_));
  if (source_ == target_) {
    return redis_table::InvalidArgumentError("source and target tag are equal");
  }
  TFRA_TABLE_RETURN_IF_ERROR(Load());
  if (!target_tables_.empty() && staged_tables_.empty()) {
    return redis_table::FailedPreconditionError(
        "model tag '" + target_ + "' already holds " +
        std::to_string(target_tables_.size()) +
        " tables; drop-tag it first or choose another name");
  }
  std::set<std::string> names;
  for (auto& [name, table] : source_tables_) {
    names.insert(name);
    TFRA_TABLE_RETURN_IF_ERROR(MeasureTable(session_, false, &table));
    total_ += mode_ == TagCopyMode::kCopy
                  ? table.rows()
                  : static_cast<int64_t>(table.bucket_keys.size());
  }
  for (const auto& entry : staged_tables_) names.insert(entry.first);
  if (names.empty()) {
    return redis_table::NotFoundError("model tag '" + source_ +
                                      "' holds no tables");
  }
  return names;
}

Status TagCopier::StageAll(const std::set<std::string>& names) {
  for (const std::string& name : names) {
    auto staged = staged_tables_.find(name);
    if (staged == staged_tables_.end() && target_tables_.count(name) > 0) {
      continue;  // published by an earlier run
    }
    const bool half_staged =
        staged != staged_tables_.end() && !staged->second.record;
    if (mode_ == TagCopyMode::kCopy && source_tables_.count(name) == 0) {
      // Nothing left to copy from: keep what is fully staged only.
      if (half_staged) TFRA_TABLE_RETURN_IF_ERROR(Abandon(staged->second));
      continue;
    }
    TFRA_TABLE_RETURN_IF_ERROR(Stage(name));
  }
  return Status::Ok();
}

Status TagCopier::PublishAll() {
  auto staged = ListTables(session_, target_);
  if (!staged.ok()) return staged.status();
  for (const CatalogTable& table : *staged) {
    if (table.model_tag == staging_ && table.record) {
      TFRA_TABLE_RETURN_IF_ERROR(Publish(table));
    }
  }
  return Status::Ok();
}

Status TagCopier::Run(JsonWriter* out) {
  auto names = Prepare();
  if (!names.ok()) return names.status();
  TFRA_TABLE_RETURN_IF_ERROR(StageAll(*names));
  TFRA_TABLE_RETURN_IF_ERROR(PublishAll());
  out->BeginObject()
      .Member("source", source_)
      .Member("target", target_)
      .Member("tables", static_cast<int64_t>(names->size()))
      .Member("rows", rows_)
      .Member("buckets", buckets_)
      .EndObject();
  return Status::Ok();
}

}  // namespace

Status CheckModelTag(const std::string& tag) {
  if (tag.empty() || tag.find_first_of(":{}") != std::string::npos ||
      EndsWith(tag, kStagingSuffix)) {
    return redis_table::InvalidArgumentError(
        "model tag '" + tag +
        "' cannot be used here: it must be non-empty, without ':' or braces, "
        "and not end in " + kStagingSuffix);
  }
  return Status::Ok();
}

Status CopyTag(const AdminSession& session, const std::string& source_tag,
               const std::string& target_tag, TagCopyMode mode,
               const AdminProgressFn& progress, JsonWriter* out) {
  return TagCopier(session, source_tag, target_tag, mode, progress).Run(out);
}

}  // namespace redis_admin
}  // namespace tfra

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/bucket_migration.h"

#include <algorithm>
#include <set>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/client_status.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/command.h"

namespace tfra {
namespace redis_table {
namespace {

using redis_client::Access;
using redis_client::Command;

// Set while rows of the import tag are being copied: a copy cut short (the
// process died, Redis failed) leaves runtime buckets that hold some rows,
// and the next open must finish it rather than take them for the table.
constexpr char kImportField[] = "import_pending";

Status RunOn(const RedisTableStore& store, const std::string& key,
             const Command& command, std::string_view what) {
  auto reply = store.client().Run(key, command, Access::kWrite);
  if (!reply.ok()) return FromClientStatus(reply.status(), what);
  return FromClientStatus(reply->ToStatus(), what);
}

// Entries of one source hash on their way to other buckets.
class EntryMover {
 public:
  // With `keep_source` the entries are copied, never deleted from `source`.
  EntryMover(const RedisTableStore& store, const std::string& source,
             bool keep_source, redis_client::Executor* executor)
      : store_(store),
        source_(source),
        keep_source_(keep_source),
        executor_(executor) {}

  Status Add(std::string_view field, std::string_view value, uint32_t bucket) {
    fields_.emplace_back(field);
    values_.emplace_back(value);
    buckets_.push_back(bucket);
    return fields_.size() >= store_.settings().keys_sending_size ? Flush()
                                                                  : Status::Ok();
  }

  // Writes the pending entries to their buckets, then deletes them from the
  // source (when the source is not also their destination).
  Status Flush() {
    if (fields_.empty()) return Status::Ok();
    KeyBatch batch;
    std::vector<std::string_view> values;
    std::vector<std::string_view> moved_away;
    for (size_t i = 0; i < fields_.size(); ++i) {
      batch.fields.push_back(fields_[i]);
      batch.buckets.push_back(buckets_[i]);
      values.push_back(values_[i]);
      if (!keep_source_ &&
          store_.settings().bucket_keys[buckets_[i]] != source_) {
        moved_away.push_back(fields_[i]);
      }
    }
    TFRA_TABLE_RETURN_IF_ERROR(store_.Insert(batch, values, executor_));
    if (!moved_away.empty()) {
      TFRA_TABLE_RETURN_IF_ERROR(RunOn(store_, source_,
                                       redis_client::Hdel(source_, moved_away),
                                       "re-bucketing " + source_));
    }
    moved_ += static_cast<int64_t>(fields_.size());
    fields_.clear();
    values_.clear();
    buckets_.clear();
    return Status::Ok();
  }

  int64_t moved() const { return moved_; }

 private:
  const RedisTableStore& store_;
  const std::string& source_;
  const bool keep_source_;
  redis_client::Executor* executor_;
  std::vector<std::string> fields_;
  std::vector<std::string> values_;
  std::vector<uint32_t> buckets_;
  int64_t moved_ = 0;
};

// Counts the rows checked across all sources and reports them to the
// caller's ProgressFn once per batch.
class RowCounter {
 public:
  RowCounter(const ProgressFn& progress, size_t batch)
      : progress_(progress), batch_(static_cast<int64_t>(batch)) {}

  Status Count() {
    ++rows_;
    if (!progress_ || rows_ % batch_ != 0) return Status::Ok();
    return progress_(rows_);
  }

 private:
  const ProgressFn& progress_;
  const int64_t batch_;
  int64_t rows_ = 0;
};

// Moves (or, with copy_all, copies) the entries of `source` that belong in
// another runtime bucket. HSCAN tolerates the deletion of entries it has
// already returned. A stop requested by `counter` leaves the entries not yet
// flushed in `source`.
Result<int64_t> MoveEntries(const RedisTableStore& store,
                            const std::string& source,
                            const FieldBucketer& bucketer, bool copy_all,
                            redis_client::Executor* executor,
                            RowCounter* counter) {
  EntryMover mover(store, source, /*keep_source=*/copy_all, executor);
  TFRA_TABLE_RETURN_IF_ERROR(store.ScanHash(
      source, [&](std::string_view field, std::string_view value) -> Status {
        TFRA_TABLE_RETURN_IF_ERROR(counter->Count());
        auto bucket = bucketer.BucketOf(field);
        if (!bucket.ok()) return bucket.status();
        if (!copy_all && store.settings().bucket_keys[*bucket] == source) {
          return Status::Ok();
        }
        return mover.Add(field, value, *bucket);
      }));
  TFRA_TABLE_RETURN_IF_ERROR(mover.Flush());
  return mover.moved();
}

Result<bool> KeyExists(const RedisTableStore& store, const std::string& key) {
  auto reply =
      store.client().Run(key, redis_client::Exists(key), Access::kWrite);
  if (!reply.ok()) return FromClientStatus(reply.status(), "EXISTS");
  auto count = reply->AsInteger();
  if (!count.ok()) return FromClientStatus(count.status(), "EXISTS");
  return *count > 0;
}

// Buckets of the runtime prefix found in Redis that are not runtime buckets.
Result<std::vector<std::string>> StaleBuckets(const RedisTableStore& store,
                                              const TableKeyLayout& layout) {
  auto found =
      store.client().ScanKeys(BucketScanPattern(layout.runtime_prefix()));
  if (!found.ok()) return FromClientStatus(found.status(), "bucket discovery");
  const std::set<std::string> runtime(layout.runtime_buckets().begin(),
                                      layout.runtime_buckets().end());
  std::vector<std::string> stale;
  for (const std::string& key : *found) {
    if (IsBucketOf(layout.runtime_prefix(), key) && runtime.count(key) == 0) {
      stale.push_back(key);
    }
  }
  std::sort(stale.begin(), stale.end());
  return stale;
}

Result<std::optional<std::string>> RecordedField(const RedisTableStore& store,
                                                 const std::string& record_key,
                                                 std::string_view field) {
  auto reply = store.client().Run(record_key, Command{"HGET", record_key, field},
                                  Access::kWrite);
  if (!reply.ok()) return FromClientStatus(reply.status(), "layout record");
  TFRA_TABLE_RETURN_IF_ERROR(
      FromClientStatus(reply->ToStatus(), "layout record"));
  if (reply->is_nil()) return std::optional<std::string>();
  return std::optional<std::string>(std::string(reply->text()));
}

// Copies the import tag's rows into the runtime buckets when those are empty,
// or when an earlier copy did not finish (kImportField). Every step may run
// again: the flag is set before the first row is copied and cleared after
// the last, and copying a row twice writes the same bytes.
Result<int64_t> CopyImportTag(const RedisTableStore& store,
                              const TableKeyLayout& layout,
                              const FieldBucketer& bucketer,
                              const std::string& record_key,
                              redis_client::Executor* executor,
                              RowCounter* counter) {
  auto pending = RecordedField(store, record_key, kImportField);
  if (!pending.ok()) return pending.status();
  if (!pending->has_value()) {
    auto runtime_has_data = AnyExists(store, layout.runtime_buckets());
    if (!runtime_has_data.ok()) return runtime_has_data.status();
    if (*runtime_has_data) return int64_t{0};
  }
  TFRA_TABLE_RETURN_IF_ERROR(RunOn(
      store, record_key,
      Command{"HSET", record_key, kImportField, layout.import_prefix()},
      "layout record"));
  int64_t copied_rows = 0;
  for (const std::string& bucket : layout.import_buckets()) {
    auto copied = MoveEntries(store, bucket, bucketer, true, executor, counter);
    if (!copied.ok()) return copied.status();
    copied_rows += *copied;
  }
  TFRA_TABLE_RETURN_IF_ERROR(
      RunOn(store, record_key, Command{"HDEL", record_key, kImportField},
            "layout record"));
  return copied_rows;
}

}  // namespace

Result<bool> AnyExists(const RedisTableStore& store,
                       const std::vector<std::string>& keys) {
  for (const std::string& key : keys) {
    auto exists = KeyExists(store, key);
    if (!exists.ok() || *exists) return exists;
  }
  return false;
}

Result<MigrationReport> MigrateIntoRuntimeBuckets(
    const RedisTableStore& store, const TableKeyLayout& layout,
    const FieldBucketer& bucketer, bool using_hash,
    redis_client::Executor* executor, const ProgressFn& progress) {
  MigrationReport report;
  RowCounter counter(progress, store.settings().keys_sending_size);
  const std::string record_key = LayoutRecordKey(layout.runtime_prefix());
  const std::string signature =
      LayoutSignature(layout.runtime_buckets(), using_hash);
  auto recorded = RecordedField(store, record_key, kLayoutSignatureField);
  if (!recorded.ok()) return recorded.status();
  auto stale = StaleBuckets(store, layout);
  if (!stale.ok()) return stale.status();

  // Sources whose keys may sit in the wrong bucket.
  std::set<std::string> sources(stale->begin(), stale->end());
  const bool same_tag = layout.import_prefix() == layout.runtime_prefix();
  // Without a record the data was not written by this code (upstream TFRA
  // puts every key of a standalone or sentinel table in bucket 0, and
  // buckets string keys by another hash): check every key's bucket once.
  const bool recorded_differs = recorded->has_value() && **recorded != signature;
  if (!recorded->has_value() || recorded_differs || !sources.empty()) {
    sources.insert(layout.runtime_buckets().begin(),
                   layout.runtime_buckets().end());
    if (same_tag) {
      sources.insert(layout.import_buckets().begin(),
                     layout.import_buckets().end());
    }
  }
  for (const std::string& source : sources) {
    auto moved = MoveEntries(store, source, bucketer, false, executor, &counter);
    if (!moved.ok()) return moved.status();
    report.keys_moved += *moved;
  }

  if (!same_tag) {
    auto copied =
        CopyImportTag(store, layout, bucketer, record_key, executor, &counter);
    if (!copied.ok()) return copied.status();
    report.keys_copied = *copied;
  }
  // An unchanged record is not rewritten, so opening a table whose data is
  // already in place (a server loading a model) sends Redis no write.
  if (!recorded->has_value() || recorded_differs) {
    TFRA_TABLE_RETURN_IF_ERROR(
        RunOn(store, record_key,
              Command{"HSET", record_key, kLayoutSignatureField, signature},
              "layout record"));
  }
  return report;
}

}  // namespace redis_table
}  // namespace tfra

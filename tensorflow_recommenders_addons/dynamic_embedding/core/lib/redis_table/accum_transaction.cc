#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/accum_transaction.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <utility>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/accum_element.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/accum_module.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/client_status.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/key_chunks.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/command.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/transaction.h"

namespace tfra {
namespace redis_table {
namespace {

using redis_client::Command;
using redis_client::CommitOutcome;
using redis_client::Connection;
using redis_client::Reply;

// Delta bytes per transaction: big enough that its two round trips are
// small next to moving the rows, small enough to bound the memory held
// (the rows read plus their sums) and the time the bucket is watched.
// Keys are bounded too: with short rows, a unit of 4 MB would hold so many
// keys that its field index and replies no longer fit in cache (measured:
// 1.7 vs 1.3 us a key at dim 8 for 128k keys in one unit).
constexpr size_t kUnitBytes = size_t{4} << 20;
constexpr size_t kUnitKeys = 16384;
// Reads of one unit before it goes to the script: a second conflict means
// writers contend for the bucket, and the script cannot be starved.
constexpr int kAttempts = 2;

// Chunks [first, last) of the chunked: one transaction.
struct Unit {
  size_t first = 0;
  size_t last = 0;
  size_t keys = 0;
  size_t bytes = 0;  // of the deltas
};

// The rows of one unit as read and as the deltas change them, distinct
// fields in first-seen order, bytes in one arena.
class UnitRows {
 public:
  UnitRows(const AccumRequest& request, size_t keys, size_t bytes)
      : request_(request) {
    index_.reserve(keys);
    rows_.reserve(keys);
    arena_.reserve(bytes);
  }

  // Applies key k's delta given the row HMGET read for it (`is_nil`: none).
  // False when the unit cannot commit: the stored row's size is not the
  // delta's.
  bool ApplyKey(size_t k, bool is_nil, std::string_view stored);

  // The changed rows as HSET arguments; views into this object.
  void Changed(std::vector<std::string_view>* fields,
               std::vector<std::string_view>* values) const;

 private:
  struct Row {
    std::string_view field;
    size_t offset = 0;  // into arena_
    size_t size = 0;
    bool present = false;
    bool changed = false;
  };

  const AccumRequest& request_;
  std::unordered_map<std::string_view, size_t> index_;  // field -> rows_
  std::vector<Row> rows_;
  std::string arena_;
};

bool UnitRows::ApplyKey(size_t k, bool is_nil, std::string_view stored) {
  const std::string_view delta = (*request_.deltas)[k];
  auto [slot, fresh] =
      index_.try_emplace(request_.keys->fields[k], rows_.size());
  if (fresh) {
    // A repeated field keeps the row as earlier keys of the call left it.
    Row row{request_.keys->fields[k], arena_.size(), delta.size()};
    if (is_nil) {
      arena_.append(delta.size(), '\0');
    } else {
      row.present = true;
      row.size = stored.size();
      arena_.append(stored);
    }
    rows_.push_back(row);
  }
  Row& row = rows_[slot->second];
  // Add where the caller saw the row, set where it saw none.
  if (row.present != ((*request_.exists)[k] != 0)) return true;
  if (row.size != delta.size()) return false;
  if (row.present) {
    char* stored_row = &arena_[row.offset];
    AddRows(request_.element, stored_row, delta.data(), stored_row,
            delta.size());
  } else {
    std::memcpy(&arena_[row.offset], delta.data(), delta.size());
    row.present = true;
  }
  row.changed = true;
  return true;
}

// Feeds the rows of a unit's HMGETs (one per chunk, tagged with the chunk's
// index) to UnitRows as they are parsed; one connection, so in key order.
class UnitReadSink : public redis_client::ElementSink {
 public:
  UnitReadSink(const KeyChunks& chunked, UnitRows* rows)
      : chunked_(chunked), rows_(rows) {}

  void OnElement(size_t chunk, size_t index, bool is_nil,
                 std::string_view stored) override {
    const KeyChunk& keys = chunked_.chunks[chunk];
    if (!usable_) return;
    usable_ = keys.begin + index < keys.end &&
              rows_->ApplyKey(chunked_.order[keys.begin + index], is_nil,
                              stored);
  }

  // The replies to the reads, once each is read whole.
  void CheckReply(const Reply& reply, const KeyChunk& keys) {
    usable_ = usable_ &&
              redis_client::StreamedWhole(reply, keys.end - keys.begin);
  }

  // False when the unit cannot commit: an error reply, a malformed reply, or
  // a stored row whose size is not its delta's.
  bool usable() const { return usable_; }

 private:
  const KeyChunks& chunked_;
  UnitRows* const rows_;
  bool usable_ = true;
};

void UnitRows::Changed(std::vector<std::string_view>* fields,
                       std::vector<std::string_view>* values) const {
  for (const Row& row : rows_) {
    if (!row.changed) continue;
    fields->push_back(row.field);
    values->push_back(std::string_view(arena_).substr(row.offset, row.size));
  }
}

enum class UnitResult { kCommitted, kConflict, kLeftToScript };

// One bucket's transactions, in order.
class BucketRun {
 public:
  BucketRun(const AccumTarget& target, const AccumRequest& request,
            const KeyChunks& chunked)
      : target_(target), request_(request), chunked_(chunked) {}

  // Runs `units` until one is left to the script; marks committed keys.
  Status Run(const std::vector<Unit>& units, std::vector<uint8_t>* committed);

 private:
  // Runs every unit by HMACCUM when the bucket's master has our module;
  // false (nothing sent) when it has not. Marks the chunks that ran; the
  // rest is left to the script.
  bool RunByModule(const std::vector<Unit>& units,
                   std::vector<uint8_t>* committed, Status* status);
  void MarkCommitted(size_t first_chunk, size_t last_chunk,
                     std::vector<uint8_t>* committed) const;
  // One attempt of `unit` on `connection`; a failed commit is the status.
  redis_client::Status Attempt(Connection& connection, const Unit& unit,
                               UnitResult* result) const;

  const AccumTarget& target_;
  const AccumRequest& request_;
  const KeyChunks& chunked_;
};

redis_client::Status BucketRun::Attempt(Connection& connection,
                                        const Unit& unit,
                                        UnitResult* result) const {
  *result = UnitResult::kLeftToScript;
  const std::string& bucket =
      (*target_.bucket_keys)[chunked_.chunks[unit.first].bucket];
  UnitRows rows(request_, unit.keys, unit.bytes);
  UnitReadSink sink(chunked_, &rows);
  std::vector<Command> reads;
  for (size_t c = unit.first; c < unit.last; ++c) {
    const KeyChunk& chunk = chunked_.chunks[c];
    reads.push_back(redis_client::Hmget(
        bucket, ChunkViews(request_.keys->fields, chunked_.order, chunk.begin,
                           chunk.end)));
    reads.back().SendElementsTo(&sink, c);
  }
  redis_client::Status watched = redis_client::WatchAndRead(
      connection, bucket, redis_client::RefsOf(reads),
      [&](size_t index, Reply&& reply) {
        sink.CheckReply(reply, chunked_.chunks[unit.first + index]);
      });
  const bool usable = sink.usable();
  // Nothing was written yet: whatever went wrong, the script path retries
  // the unit and reports its errors.
  if (!watched.ok()) return redis_client::Status::Ok();
  std::vector<std::string_view> fields, values;
  if (usable) rows.Changed(&fields, &values);
  if (!usable || fields.empty()) {
    if (!redis_client::Unwatch(connection).ok()) connection.MarkBroken();
    if (usable) *result = UnitResult::kCommitted;  // nothing to change
    return redis_client::Status::Ok();
  }
  std::vector<Command> writes;
  for (size_t first = 0; first < fields.size();
       first += target_.keys_per_command) {
    const size_t last = std::min(fields.size(), first + target_.keys_per_command);
    writes.push_back(redis_client::Hset(
        bucket, {fields.begin() + first, fields.begin() + last},
        {values.begin() + first, values.begin() + last}));
  }
  auto outcome =
      redis_client::CommitWatched(connection, redis_client::RefsOf(writes));
  if (!outcome.ok()) return outcome.status();
  *result = *outcome == CommitOutcome::kCommitted ? UnitResult::kCommitted
                                                  : UnitResult::kConflict;
  return redis_client::Status::Ok();
}

void BucketRun::MarkCommitted(size_t first_chunk, size_t last_chunk,
                              std::vector<uint8_t>* committed) const {
  for (size_t c = first_chunk; c < last_chunk; ++c) {
    const KeyChunk& chunk = chunked_.chunks[c];
    for (size_t i = chunk.begin; i < chunk.end; ++i) {
      (*committed)[chunked_.order[i]] = 1;
    }
  }
}

bool BucketRun::RunByModule(const std::vector<Unit>& units,
                            std::vector<uint8_t>* committed, Status* status) {
  const size_t first = units.front().first;
  const std::string& bucket =
      (*target_.bucket_keys)[chunked_.chunks[first].bucket];
  bool used = false;
  size_t done = 0;
  // A lease or query that fails leaves the bucket to the other paths, which
  // report the failure if it persists.
  const redis_client::Status waited = target_.client->WithMasterConnection(
      bucket, [&](Connection& connection) {
        used = HasReplicatedHmaccum(connection);
        if (used) {
          *status = AccumChunksByModule(connection, target_, request_,
                                        chunked_, first, units.back().last,
                                        &done);
        }
        return redis_client::Status::Ok();
      });
  if (!used) return false;
  MarkCommitted(first, first + done, committed);
  // Durable writes: the HMACCUMs ran, but too few replicas acknowledged them
  // (or the WAIT went unanswered). The op fails; nothing goes to the script,
  // which would add the deltas a second time.
  if (status->ok() &&
      waited.code() == redis_client::ErrorCode::kNotReplicated) {
    *status = FromClientStatus(waited, target_.context);
  }
  return true;
}

Status BucketRun::Run(const std::vector<Unit>& units,
                      std::vector<uint8_t>* committed) {
  Status module_status;
  if (target_.use_module && RunByModule(units, committed, &module_status)) {
    return module_status;
  }
  for (const Unit& unit : units) {
    const std::string& bucket =
        (*target_.bucket_keys)[chunked_.chunks[unit.first].bucket];
    UnitResult result = UnitResult::kConflict;
    for (int attempt = 0;
         attempt < kAttempts && result == UnitResult::kConflict; ++attempt) {
      bool commit_failed = false;
      redis_client::Status status = target_.client->WithMasterConnection(
          bucket, [&](Connection& connection) {
            redis_client::Status failure = Attempt(connection, unit, &result);
            commit_failed = !failure.ok();
            return failure;
          });
      // A commit that failed, or one whose WAIT for replicas failed after
      // it (durable writes): the sums may be written, so the unit must not
      // go to the script, which would add its deltas a second time.
      if (commit_failed ||
          status.code() == redis_client::ErrorCode::kNotReplicated) {
        return FromClientStatus(status, target_.context);
      }
      if (!status.ok()) result = UnitResult::kLeftToScript;
    }
    if (result != UnitResult::kCommitted) return Status::Ok();
    MarkCommitted(unit.first, unit.last, committed);
  }
  return Status::Ok();
}

// Units of each bucket that has keys, in chunk order.
std::vector<std::vector<Unit>> PlanUnits(const KeyChunks& chunked,
                                         const AccumRequest& request) {
  std::vector<std::vector<Unit>> buckets;
  for (size_t c = 0; c < chunked.chunks.size(); ++c) {
    const KeyChunk& chunk = chunked.chunks[c];
    const size_t keys = chunk.end - chunk.begin;
    const size_t bytes =
        keys * (*request.deltas)[chunked.order[chunk.begin]].size();
    const bool new_bucket =
        c == 0 || chunked.chunks[c - 1].bucket != chunk.bucket;
    if (new_bucket) buckets.emplace_back();
    if (new_bucket || buckets.back().back().bytes >= kUnitBytes ||
        buckets.back().back().keys + keys > kUnitKeys) {
      buckets.back().push_back(Unit{c, c});
    }
    Unit& unit = buckets.back().back();
    unit.last = c + 1;
    unit.keys += keys;
    unit.bytes += bytes;
  }
  return buckets;
}

}  // namespace

Status AccumByModuleOrTransactions(const AccumTarget& target,
                                   const AccumRequest& request,
                                   redis_client::Executor* executor,
                                   std::vector<uint8_t>* committed) {
  if (request.keys->size() == 0) return Status::Ok();
  const KeyChunks chunked = ChunkKeysByBucket(
      request.keys->buckets,
      static_cast<uint32_t>(target.bucket_keys->size()),
      target.keys_per_command);
  const std::vector<std::vector<Unit>> buckets =
      PlanUnits(chunked, request);
  std::vector<Status> results(buckets.size());
  auto run_bucket = [&](size_t b) {
    results[b] = BucketRun(target, request, chunked).Run(buckets[b], committed);
  };
  if (executor == nullptr || buckets.size() == 1) {
    for (size_t b = 0; b < buckets.size(); ++b) run_bucket(b);
  } else {
    executor->ParallelFor(buckets.size(), run_bucket);
  }
  for (Status& status : results) {
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

}  // namespace redis_table
}  // namespace tfra

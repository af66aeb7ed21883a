#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/accum_transaction.h"

#include <algorithm>
#include <utility>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/accum_module.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/accum_unit_rows.h"
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

// Units of chunks [first, last) of one bucket, in chunk order.
std::vector<Unit> PlanUnits(const KeyChunks& chunked,
                            const AccumRequest& request, size_t first,
                            size_t last) {
  std::vector<Unit> units;
  for (size_t c = first; c < last; ++c) {
    const KeyChunk& chunk = chunked.chunks[c];
    const size_t keys = chunk.end - chunk.begin;
    const size_t bytes =
        keys * (*request.deltas)[chunked.order[chunk.begin]].size();
    if (units.empty() || units.back().bytes >= kUnitBytes ||
        units.back().keys + keys > kUnitKeys) {
      units.push_back(Unit{c, c});
    }
    Unit& unit = units.back();
    unit.last = c + 1;
    unit.keys += keys;
    unit.bytes += bytes;
  }
  return units;
}

enum class UnitResult { kCommitted, kConflict, kLeftToScript };

// One bucket's transactions, in order.
class BucketRun {
 public:
  BucketRun(const AccumTarget& target, const AccumRequest& request,
            const KeyChunks& chunked)
      : target_(target), request_(request), chunked_(chunked) {}

  // Runs chunks [first, last) (of one bucket) by HMACCUM, else in
  // transactions until one is left to the script; marks committed keys.
  Status Run(size_t first, size_t last, std::vector<uint8_t>* committed);

 private:
  // Runs chunks [first, last) by HMACCUM when the bucket's master has our
  // module; false (nothing sent) when it has not. Marks the chunks that ran;
  // the rest is left to the script.
  bool RunByModule(size_t first, size_t last, std::vector<uint8_t>* committed,
                   Status* status);
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
  UnitRows rows(request_, chunked_, chunked_.chunks[unit.first].begin,
                chunked_.chunks[unit.last - 1].end, unit.bytes);
  UnitReadSink sink(chunked_, &rows);
  std::vector<Command> reads;
  for (size_t c = unit.first; c < unit.last; ++c) {
    const KeyChunk& chunk = chunked_.chunks[c];
    reads.push_back(ChunkCommand("HMGET", bucket, request_.keys->fields,
                                 nullptr, chunked_.order, chunk.begin,
                                 chunk.end));
    reads.back().SendElementsTo(&sink, c);
  }
  redis_client::Status watched = redis_client::WatchAndRead(
      connection, bucket, redis_client::RefsOf(reads),
      [&](size_t index, Reply&& reply) {
        sink.CheckReply(reply, chunked_.chunks[unit.first + index]);
      },
      [&rows] { rows.Index(); });
  const bool usable = sink.usable();
  // Nothing was written yet: whatever went wrong, the script path retries
  // the unit and reports its errors.
  if (!watched.ok()) return redis_client::Status::Ok();
  const std::vector<Command> writes =
      usable ? rows.Writes(bucket, target_.keys_per_command)
             : std::vector<Command>();
  if (!usable || writes.empty()) {
    if (!redis_client::Unwatch(connection).ok()) connection.MarkBroken();
    if (usable) *result = UnitResult::kCommitted;  // nothing to change
    return redis_client::Status::Ok();
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

bool BucketRun::RunByModule(size_t first, size_t last,
                            std::vector<uint8_t>* committed, Status* status) {
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
                                        chunked_, first, last, &done);
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

Status BucketRun::Run(size_t first, size_t last,
                      std::vector<uint8_t>* committed) {
  Status module_status;
  if (target_.use_module &&
      RunByModule(first, last, committed, &module_status)) {
    return module_status;
  }
  for (const Unit& unit : PlanUnits(chunked_, request_, first, last)) {
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

// Chunks [first, last) of one bucket, run by one worker: the whole bucket,
// or one of its parts (field-disjoint, key_chunks.h) where the bucket's
// master has HMACCUM, so that the parts' commands go out on connections of
// their own at once, as an insert's lanes do. Transactions take a bucket
// whole: two of them on one bucket at once would abort each other's EXEC.
struct Job {
  size_t first = 0;
  size_t last = 0;
};

bool MasterHasModule(const AccumTarget& target, const std::string& bucket) {
  bool has = false;
  // A failed lease counts as absent: the job's own lease reports it.
  (void)target.client->WithMasterConnection(bucket, [&](Connection& connection) {
    has = HasReplicatedHmaccum(connection);
    return redis_client::Status::Ok();
  });
  return has;
}

std::vector<Job> PlanJobs(const AccumTarget& target, const KeyChunks& chunked) {
  const std::vector<KeyChunk>& chunks = chunked.chunks;
  std::vector<Job> jobs;
  for (size_t first = 0, last = 0; first < chunks.size(); first = last) {
    last = first;
    while (last < chunks.size() && chunks[last].bucket == chunks[first].bucket) {
      ++last;
    }
    const bool split = chunks[last - 1].part != chunks[first].part;
    if (!split || !target.use_module ||
        !MasterHasModule(target,
                         (*target.bucket_keys)[chunks[first].bucket])) {
      jobs.push_back(Job{first, last});
      continue;
    }
    for (size_t c = first; c < last; ++c) {
      if (c == first || chunks[c].part != chunks[c - 1].part) {
        jobs.push_back(Job{c, c});
      }
      jobs.back().last = c + 1;
    }
  }
  return jobs;
}

}  // namespace

Status AccumByModuleOrTransactions(const AccumTarget& target,
                                   const AccumRequest& request,
                                   redis_client::Executor* executor,
                                   std::vector<uint8_t>* committed) {
  const KeyBatch& keys = *request.keys;
  if (keys.size() == 0) return Status::Ok();
  // Lanes as an insert plans them; only their split of big buckets into
  // parts is used (PlanJobs).
  const bool lanes = executor != nullptr && keys.size() > kInlineMaxKeys;
  const KeyChunks chunked =
      PlanLanes(keys.fields, keys.buckets,
                static_cast<uint32_t>(target.bucket_keys->size()),
                target.keys_per_command, lanes ? kMaxLanes : 1,
                kMaxLanesPerBucket)
          .chunked;
  const std::vector<Job> jobs = PlanJobs(target, chunked);
  std::vector<Status> results(jobs.size());
  auto run_job = [&](size_t j) {
    results[j] = BucketRun(target, request, chunked)
                     .Run(jobs[j].first, jobs[j].last, committed);
  };
  if (executor == nullptr || jobs.size() == 1) {
    for (size_t j = 0; j < jobs.size(); ++j) run_job(j);
  } else {
    executor->ParallelFor(jobs.size(), run_job);
  }
  for (Status& status : results) {
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

}  // namespace redis_table
}  // namespace tfra

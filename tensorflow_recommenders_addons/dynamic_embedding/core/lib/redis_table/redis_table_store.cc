#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_store.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <numeric>
#include <optional>
#include <unordered_set>
#include <utility>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/client_status.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/key_chunks.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/command.h"

namespace tfra {
namespace redis_table {

using redis_client::Access;
using redis_client::Command;
using redis_client::Reply;

namespace {

// Collects the first error of concurrent workers.
class FirstError {
 public:
  void Record(Status status) {
    if (status.ok()) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (first_.ok()) first_ = std::move(status);
  }
  Status Take() {
    std::lock_guard<std::mutex> lock(mu_);
    return first_;
  }

 private:
  std::mutex mu_;
  Status first_;
};

// Hands the string elements of a chunk's array reply, tagged with the
// chunk's index, to `on_element` with the key's index, and counts them per
// chunk. One thread parses a chunk's reply, so its count needs no atomic. (A
// counter shared by all keys cost ~20 of a cluster lookup's ~960
// instructions per key, callgrind, and moved its cache line between the
// lanes' threads at every key.)
class ChunkElementSink : public redis_client::ElementSink {
 public:
  ChunkElementSink(const KeyChunks& chunked, const FoundValueFn& on_element,
                   FirstError* errors)
      : chunked_(chunked),
        on_element_(on_element),
        errors_(errors),
        handed_over_(chunked.chunks.size(), 0) {}

  void OnElement(size_t chunk, size_t index, bool is_nil,
                 std::string_view value) override {
    const KeyChunk& keys = chunked_.chunks[chunk];
    const size_t position = keys.begin + index;
    // Extra elements are reported by the caller's count check.
    if (is_nil || position >= keys.end) return;
    ++handed_over_[chunk];
    errors_->Record(on_element_(chunked_.order[position], value));
  }

  // Elements handed to `on_element`; once every reply was read.
  size_t handed_over() const {
    return std::accumulate(handed_over_.begin(), handed_over_.end(),
                           size_t{0});
  }

 private:
  const KeyChunks& chunked_;
  const FoundValueFn& on_element_;
  FirstError* const errors_;
  std::vector<size_t> handed_over_;  // per chunk
};

// One command per chunk [first, last) of `chunked`, made by `build`; with a
// sink, each command streams its reply's elements to it.
template <class Builder>
std::vector<redis_client::RoutedCommands> LaneCommands(
    const KeyChunks& chunked, size_t first, size_t last,
    const std::vector<std::string>& bucket_keys, const Builder& build,
    redis_client::ElementSink* sink) {
  std::vector<redis_client::RoutedCommands> lane(last - first);
  for (size_t c = first; c < last; ++c) {
    const KeyChunk& chunk = chunked.chunks[c];
    const std::string& bucket_key = bucket_keys[chunk.bucket];
    lane[c - first].routing_key = bucket_key;
    redis_client::Command command =
        build(bucket_key, chunked.order, chunk.begin, chunk.end);
    if (sink != nullptr) command.SendElementsTo(sink, c);
    lane[c - first].commands.push_back(std::move(command));
  }
  return lane;
}

}  // namespace

RedisTableStore::RedisTableStore(
    std::shared_ptr<redis_client::RedisClient> client, StoreSettings settings)
    : client_(std::move(client)),
      settings_(std::move(settings)),
      metrics_(settings_.metrics_table.empty() ? settings_.table_description
                                               : settings_.metrics_table) {
  if (settings_.read_cache == nullptr) return;
  for (const std::string& bucket_key : settings_.bucket_keys) {
    cache_bucket_ids_.push_back(
        settings_.read_cache->BucketId(settings_.deployment, bucket_key));
  }
}

std::string RedisTableStore::Context(std::string_view what) const {
  return std::string(what) + " in " + settings_.table_description;
}

Status RedisTableStore::RunChunked(const KeyBatch& keys, std::string_view what,
                                   Access access, const CommandBuilder& build,
                                   const ReplyHandler& on_reply,
                                   redis_client::Executor* executor,
                                   const FoundValueFn* on_element,
                                   size_t* elements_handed_over) const {
  if (keys.size() == 0) return Status::Ok();
  if (keys.size() <= kInlineMaxKeys) executor = nullptr;
  const LanePlan plan = PlanLanes(
      keys.fields, keys.buckets,
      static_cast<uint32_t>(settings_.bucket_keys.size()),
      settings_.keys_sending_size, executor == nullptr ? 1 : kMaxLanes,
      kMaxLanesPerBucket);
  const KeyChunks& chunked = plan.chunked;
  // A lane whose pipeline failed as a whole (which commands ran is unknown)
  // outranks error replies of single commands in the status returned.
  FirstError lane_failure;
  FirstError first_error;
  std::optional<ChunkElementSink> sink;
  if (on_element != nullptr) {
    sink.emplace(chunked, *on_element, &first_error);
  }
  // A lane's chunks go out as one pipeline (per node) and each reply is
  // decoded as soon as it is read, while it is still in cache; decoding
  // overlaps other lanes' I/O, with no second fan-out.
  auto run_lane = [&](size_t lane) {
    const auto [first, last] = plan.lanes[lane];
    const std::vector<redis_client::RoutedCommands> commands =
        LaneCommands(chunked, first, last, settings_.bucket_keys, build,
                     sink.has_value() ? &*sink : nullptr);
    // Good replies after an error reply are handled too: those commands ran
    // (a caller resending failed chunks must know).
    auto on_chunk_reply = [&](size_t index, Reply&& reply) {
      Status status = FromClientStatus(reply.ToStatus(), Context(what));
      if (status.ok()) {
        const KeyChunk& chunk = chunked.chunks[first + index];
        status = on_reply(reply, chunked.order, chunk.begin, chunk.end);
      }
      first_error.Record(std::move(status));
    };
    // A lone lane may still span nodes: let the client fan out over them.
    redis_client::Status sent = client_->StreamPipelines(
        commands, access, plan.lanes.size() == 1 ? executor : nullptr,
        on_chunk_reply);
    lane_failure.Record(FromClientStatus(sent, Context(what)));
  };
  if (plan.lanes.size() == 1) {
    run_lane(0);
  } else {
    executor->ParallelFor(plan.lanes.size(), run_lane);
  }
  if (elements_handed_over != nullptr) {
    *elements_handed_over = sink.has_value() ? sink->handed_over() : 0;
  }
  Status failure = lane_failure.Take();
  return failure.ok() ? first_error.Take() : failure;
}

Status RedisTableStore::Find(const KeyBatch& keys, const FoundValueFn& on_found,
                             redis_client::Executor* executor) const {
  const auto start = TableMetrics::Clock::now();
  Status status = settings_.read_cache != nullptr &&
                          settings_.read_cache_staleness.count() > 0
                      ? FindThroughCache(keys, on_found, executor)
                      : RunFind(keys, on_found, executor);
  return metrics_.Record(TableOp::kFind, keys.size(), start,
                         std::move(status));
}

Status RedisTableStore::RunFind(const KeyBatch& keys,
                                const FoundValueFn& on_found,
                                redis_client::Executor* executor) const {
  // Keys whose chunk was answered, and those of them found: the rest of an
  // answered chunk are misses, the keys of unanswered chunks unread. (Once
  // per chunk, not per key: see ChunkElementSink.)
  std::atomic<size_t> answered{0};
  size_t found = 0;
  // A reply carries each value with ~16 bytes of framing; string rows of
  // unknown size are guessed at 64 bytes.
  const size_t reply_bytes_per_key =
      (settings_.value_bytes > 0 ? settings_.value_bytes : 64) + 16;
  auto build = [&](std::string_view bucket, const std::vector<size_t>& order,
                   size_t begin, size_t end) {
    Command hmget =
        ChunkCommand("HMGET", bucket, keys.fields, nullptr, order, begin, end);
    hmget.ExpectReplyBytes((end - begin) * reply_bytes_per_key);
    return hmget;
  };
  // The values stream to on_found as they are parsed (no reply object per
  // value); the reply must hold one nil per key that was not streamed.
  auto on_reply = [&](const Reply& reply, const std::vector<size_t>&,
                      size_t begin, size_t end) -> Status {
    if (redis_client::StreamedWhole(reply, end - begin)) {
      answered.fetch_add(end - begin, std::memory_order_relaxed);
      return Status::Ok();
    }
    auto count = reply.ArraySize();
    return InternalError(Context("find") + ": HMGET answered " +
                         (count.ok() ? std::to_string(*count) + " values"
                                     : std::string("no array")) +
                         " for " + std::to_string(end - begin) +
                         " keys, or a value that is not a string");
  };
  Status status = RunChunked(keys, "find", Access::kRead, build, on_reply,
                             executor, &on_found, &found);
  const size_t read = answered.load();
  if (!status.ok() && settings_.read_fallback_to_default &&
      status.code() == StatusCode::kUnavailable) {
    metrics_.AddDegradedRows(static_cast<int64_t>(keys.size() - read));
    status = Status::Ok();
  }
  if (status.ok()) {
    metrics_.AddMisses(static_cast<int64_t>(read - std::min(read, found)));
  }
  return status;
}

Status RedisTableStore::Insert(const KeyBatch& keys,
                               const std::vector<std::string_view>& values,
                               redis_client::Executor* executor) const {
  auto build = [&](std::string_view bucket, const std::vector<size_t>& order,
                   size_t begin, size_t end) {
    return ChunkCommand("HSET", bucket, keys.fields, &values, order, begin,
                        end);
  };
  auto ignore = [](const Reply&, const std::vector<size_t>&, size_t, size_t) {
    return Status::Ok();
  };
  const auto start = TableMetrics::Clock::now();
  Status status =
      RunChunked(keys, "insert", Access::kWrite, build, ignore, executor);
  ForgetCached(keys);  // also after a failure: some commands may have run
  return metrics_.Record(TableOp::kInsert, keys.size(), start,
                         std::move(status));
}

Status RedisTableStore::Remove(const KeyBatch& keys,
                               redis_client::Executor* executor) const {
  auto build = [&](std::string_view bucket, const std::vector<size_t>& order,
                   size_t begin, size_t end) {
    return ChunkCommand("HDEL", bucket, keys.fields, nullptr, order, begin,
                        end);
  };
  auto ignore = [](const Reply&, const std::vector<size_t>&, size_t, size_t) {
    return Status::Ok();
  };
  const auto start = TableMetrics::Clock::now();
  Status status =
      RunChunked(keys, "remove", Access::kWrite, build, ignore, executor);
  ForgetCached(keys);
  return metrics_.Record(TableOp::kRemove, keys.size(), start,
                         std::move(status));
}

Result<std::vector<Reply>> RedisTableStore::RunPerBucket(
    std::string_view what, Access access,
    const std::function<Command(std::string_view)>& build) const {
  std::vector<redis_client::RoutedCommands> per_bucket;
  per_bucket.reserve(settings_.bucket_keys.size());
  for (const std::string& bucket_key : settings_.bucket_keys) {
    redis_client::RoutedCommands commands;
    commands.routing_key = bucket_key;
    commands.commands.push_back(build(bucket_key));
    per_bucket.push_back(std::move(commands));
  }
  auto replies = client_->RunPipelines(per_bucket, access, nullptr);
  if (!replies.ok()) return FromClientStatus(replies.status(), Context(what));
  std::vector<Reply> flat;
  flat.reserve(per_bucket.size());
  for (auto& bucket_replies : *replies) {
    TFRA_TABLE_RETURN_IF_ERROR(
        FromClientStatus(bucket_replies.front().ToStatus(), Context(what)));
    flat.push_back(std::move(bucket_replies.front()));
  }
  return flat;
}

Status RedisTableStore::Clear() const {
  // UNLINK, not DEL: the server frees a big hash in the background, so
  // clearing a 1M-field bucket cannot outlast the client's read timeout.
  const auto start = TableMetrics::Clock::now();
  auto replies = RunPerBucket("clear", Access::kWrite, [](std::string_view key) {
    return Command{"UNLINK", key};
  });
  ForgetCachedRows();
  return metrics_.Record(TableOp::kClear, 0, start,
                         replies.ok() ? Status::Ok() : replies.status());
}

Result<int64_t> RedisTableStore::Size() const {
  const auto start = TableMetrics::Clock::now();
  auto replies = RunPerBucket("size", Access::kRead, [](std::string_view key) {
    return redis_client::Hlen(key);
  });
  int64_t total = 0;
  Status status = replies.ok() ? Status::Ok() : replies.status();
  for (size_t i = 0; status.ok() && i < replies->size(); ++i) {
    auto count = (*replies)[i].AsInteger();
    if (!count.ok()) {
      status = FromClientStatus(count.status(), Context("size"));
    } else {
      total += *count;
    }
  }
  TFRA_TABLE_RETURN_IF_ERROR(
      metrics_.Record(TableOp::kSize, 0, start, std::move(status)));
  return total;
}

Status RedisTableStore::ScanHash(std::string_view hash_key,
                                 const ExportEntryFn& on_entry) const {
  // HSCAN may return a field more than once while the hash is rehashed.
  std::unordered_set<std::string> seen;
  std::string cursor = "0";
  do {
    auto reply = client_->Run(
        hash_key,
        redis_client::Hscan(hash_key, cursor,
                            static_cast<int64_t>(settings_.keys_sending_size)),
        Access::kRead);
    if (!reply.ok()) return FromClientStatus(reply.status(), Context("export"));
    TFRA_TABLE_RETURN_IF_ERROR(
        FromClientStatus(reply->ToStatus(), Context("export")));
    auto parts = reply->ArraySize();
    if (!parts.ok() || *parts != 2 || !reply->element(1).is_array()) {
      return InternalError(Context("export") + ": malformed HSCAN reply");
    }
    auto next = reply->element(0).AsString();
    if (!next.ok()) return FromClientStatus(next.status(), Context("export"));
    cursor = std::string(*next);
    const redis_client::ReplyView page = reply->element(1);
    const size_t items = page.ArraySize().ok() ? *page.ArraySize() : 0;
    for (size_t i = 0; i + 1 < items; i += 2) {
      auto field = page.element(i).AsString();
      auto value = page.element(i + 1).AsString();
      if (!field.ok() || !value.ok()) {
        return InternalError(Context("export") + ": non-string HSCAN entry");
      }
      if (!seen.emplace(*field).second) continue;
      TFRA_TABLE_RETURN_IF_ERROR(on_entry(*field, *value));
    }
  } while (cursor != "0");
  return Status::Ok();
}

Status RedisTableStore::Export(const ExportEntryFn& on_entry) const {
  const auto start = TableMetrics::Clock::now();
  size_t rows = 0;
  Status status;
  for (size_t b = 0; status.ok() && b < settings_.bucket_keys.size(); ++b) {
    status = ScanHash(settings_.bucket_keys[b],
                      [&](std::string_view field, std::string_view stored) {
                        ++rows;
                        return on_entry(field, stored);
                      });
  }
  return metrics_.Record(TableOp::kExport, rows, start, std::move(status));
}

}  // namespace redis_table
}  // namespace tfra

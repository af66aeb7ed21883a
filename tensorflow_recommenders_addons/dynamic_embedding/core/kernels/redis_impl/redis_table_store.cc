#include "tensorflow_recommenders_addons/dynamic_embedding/core/kernels/redis_impl/redis_table_store.h"

#include <mutex>
#include <unordered_set>
#include <utility>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/kernels/redis_impl/client_status.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/kernels/redis_impl/key_grouping.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/command.h"

namespace tfra {
namespace redis_table {

using redis_client::Access;
using redis_client::Command;
using redis_client::Reply;

namespace {

// Fields of keys order[begin, end), in that order.
std::vector<std::string_view> ChunkViews(const std::vector<std::string_view>& all,
                                         const std::vector<size_t>& order,
                                         size_t begin, size_t end) {
  std::vector<std::string_view> views;
  views.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) views.push_back(all[order[i]]);
  return views;
}

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

}  // namespace

RedisTableStore::RedisTableStore(
    std::shared_ptr<redis_client::RedisClient> client, StoreSettings settings)
    : client_(std::move(client)), settings_(std::move(settings)) {}

std::string RedisTableStore::Context(std::string_view what) const {
  return std::string(what) + " in " + settings_.table_description;
}

Status RedisTableStore::RunChunked(const KeyBatch& keys, std::string_view what,
                                   Access access, const CommandBuilder& build,
                                   const ReplyHandler& on_reply,
                                   redis_client::Executor* executor) const {
  if (keys.size() == 0) return Status::Ok();
  const KeyGrouping grouping = GroupKeysByBucket(
      keys.buckets, static_cast<uint32_t>(settings_.bucket_keys.size()),
      settings_.keys_sending_size);
  std::vector<redis_client::BucketBatch> batches;
  batches.reserve(grouping.chunks.size());
  for (const KeyChunk& chunk : grouping.chunks) {
    const std::string& bucket_key = settings_.bucket_keys[chunk.bucket];
    redis_client::BucketBatch batch;
    batch.routing_key = bucket_key;
    batch.commands.push_back(
        build(bucket_key, grouping.order, chunk.begin, chunk.end));
    batches.push_back(std::move(batch));
  }
  auto replies = client_->RunPipelines(batches, access, executor);
  if (!replies.ok()) return FromClientStatus(replies.status(), Context(what));

  FirstError first_error;
  auto handle_chunk = [&](size_t c) {
    const Reply& reply = (*replies)[c].front();
    Status status = FromClientStatus(reply.ToStatus(), Context(what));
    if (status.ok()) {
      const KeyChunk& chunk = grouping.chunks[c];
      status = on_reply(reply, grouping.order, chunk.begin, chunk.end);
    }
    first_error.Record(std::move(status));
  };
  if (executor != nullptr && grouping.chunks.size() > 1) {
    executor->ParallelFor(grouping.chunks.size(), handle_chunk);
  } else {
    for (size_t c = 0; c < grouping.chunks.size(); ++c) handle_chunk(c);
  }
  return first_error.Take();
}

Status RedisTableStore::Find(const KeyBatch& keys, const FoundValueFn& on_found,
                             redis_client::Executor* executor) const {
  auto build = [&](std::string_view bucket, const std::vector<size_t>& order,
                   size_t begin, size_t end) {
    return redis_client::Hmget(bucket, ChunkViews(keys.fields, order, begin, end));
  };
  auto on_reply = [&](const Reply& reply, const std::vector<size_t>& order,
                      size_t begin, size_t end) -> Status {
    auto count = reply.ArraySize();
    if (!count.ok() || *count != end - begin) {
      return InternalError(Context("find") + ": HMGET answered " +
                           std::to_string(count.ok() ? *count : 0) +
                           " values for " + std::to_string(end - begin) +
                           " keys");
    }
    for (size_t i = begin; i < end; ++i) {
      const redis_client::ReplyView value = reply.element(i - begin);
      if (value.is_nil()) continue;
      auto bytes = value.AsString();
      if (!bytes.ok()) return FromClientStatus(bytes.status(), Context("find"));
      TFRA_TABLE_RETURN_IF_ERROR(on_found(order[i], *bytes));
    }
    return Status::Ok();
  };
  Status status =
      RunChunked(keys, "find", Access::kRead, build, on_reply, executor);
  if (!status.ok() && settings_.read_fallback_to_default &&
      status.code() == StatusCode::kUnavailable) {
    fallback_reads_.fetch_add(static_cast<int64_t>(keys.size()));
    return Status::Ok();
  }
  return status;
}

Status RedisTableStore::Insert(const KeyBatch& keys,
                               const std::vector<std::string_view>& values,
                               redis_client::Executor* executor) const {
  auto build = [&](std::string_view bucket, const std::vector<size_t>& order,
                   size_t begin, size_t end) {
    return redis_client::Hset(bucket, ChunkViews(keys.fields, order, begin, end),
                              ChunkViews(values, order, begin, end));
  };
  auto ignore = [](const Reply&, const std::vector<size_t>&, size_t, size_t) {
    return Status::Ok();
  };
  return RunChunked(keys, "insert", Access::kWrite, build, ignore, executor);
}

Status RedisTableStore::Accum(const KeyBatch& keys,
                              const std::vector<std::string_view>& deltas,
                              const std::vector<uint8_t>& exists,
                              AccumElement element,
                              redis_client::Executor* executor) const {
  const std::string_view format = AccumStructFormat(element);
  const std::string width = std::to_string(
      element == AccumElement::kFloat || element == AccumElement::kInt32 ? 4
      : element == AccumElement::kInt8                                 ? 1
                                                                       : 8);
  auto build = [&](std::string_view bucket, const std::vector<size_t>& order,
                   size_t begin, size_t end) {
    std::string flags;
    flags.reserve(end - begin);
    for (size_t i = begin; i < end; ++i) {
      flags.push_back(exists[order[i]] ? '\x01' : '\x00');
    }
    Command command{"EVAL", AccumScript(), "1", bucket, format};
    command.AddCopy(width).AddCopy(flags);
    for (size_t i = begin; i < end; ++i) {
      command.Add(keys.fields[order[i]]).Add(deltas[order[i]]);
    }
    return command;
  };
  auto ignore = [](const Reply&, const std::vector<size_t>&, size_t, size_t) {
    return Status::Ok();
  };
  return RunChunked(keys, "accum", Access::kWrite, build, ignore, executor);
}

Status RedisTableStore::Remove(const KeyBatch& keys,
                               redis_client::Executor* executor) const {
  auto build = [&](std::string_view bucket, const std::vector<size_t>& order,
                   size_t begin, size_t end) {
    return redis_client::Hdel(bucket, ChunkViews(keys.fields, order, begin, end));
  };
  auto ignore = [](const Reply&, const std::vector<size_t>&, size_t, size_t) {
    return Status::Ok();
  };
  return RunChunked(keys, "remove", Access::kWrite, build, ignore, executor);
}

Result<std::vector<Reply>> RedisTableStore::RunPerBucket(
    std::string_view what, Access access,
    const std::function<Command(std::string_view)>& build) const {
  std::vector<redis_client::BucketBatch> batches;
  batches.reserve(settings_.bucket_keys.size());
  for (const std::string& bucket_key : settings_.bucket_keys) {
    redis_client::BucketBatch batch;
    batch.routing_key = bucket_key;
    batch.commands.push_back(build(bucket_key));
    batches.push_back(std::move(batch));
  }
  auto replies = client_->RunPipelines(batches, access, nullptr);
  if (!replies.ok()) return FromClientStatus(replies.status(), Context(what));
  std::vector<Reply> flat;
  flat.reserve(batches.size());
  for (auto& per_batch : *replies) {
    TFRA_TABLE_RETURN_IF_ERROR(
        FromClientStatus(per_batch.front().ToStatus(), Context(what)));
    flat.push_back(std::move(per_batch.front()));
  }
  return flat;
}

Status RedisTableStore::Clear() const {
  auto replies = RunPerBucket("clear", Access::kWrite, [](std::string_view key) {
    return redis_client::Del(key);
  });
  return replies.status();
}

Result<int64_t> RedisTableStore::Size() const {
  auto replies = RunPerBucket("size", Access::kRead, [](std::string_view key) {
    return redis_client::Hlen(key);
  });
  if (!replies.ok()) return replies.status();
  int64_t total = 0;
  for (const Reply& reply : *replies) {
    auto count = reply.AsInteger();
    if (!count.ok()) return FromClientStatus(count.status(), Context("size"));
    total += *count;
  }
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
  for (const std::string& bucket_key : settings_.bucket_keys) {
    TFRA_TABLE_RETURN_IF_ERROR(ScanHash(bucket_key, on_entry));
  }
  return Status::Ok();
}

}  // namespace redis_table
}  // namespace tfra

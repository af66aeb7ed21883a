#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/redis_client.h"

#include <unordered_set>

namespace tfra {
namespace redis_client {
namespace {

constexpr int64_t kScanCount = 1000;

// One SCAN iteration's reply: [next cursor, [keys...]].
Status ReadScanPage(const Reply& reply, std::string* cursor,
                    std::unordered_set<std::string>* keys) {
  TFRA_REDIS_RETURN_IF_ERROR(reply.ToStatus());
  Result<size_t> size = reply.ArraySize();
  if (!size.ok()) return size.status();
  if (*size != 2)
    return Status(ErrorCode::kProtocol, "SCAN reply is not a pair");
  Result<std::string_view> next = reply.element(0).AsString();
  if (!next.ok()) return next.status();
  const ReplyView page = reply.element(1);
  Result<size_t> count = page.ArraySize();
  if (!count.ok()) return count.status();
  for (size_t i = 0; i < *count; ++i) {
    Result<std::string_view> key = page.element(i).AsString();
    if (!key.ok()) return key.status();
    keys->emplace(*key);
  }
  cursor->assign(next->data(), next->size());
  return Status::Ok();
}

}  // namespace

std::vector<std::vector<Reply>> SplitPerGroup(
    const std::vector<RoutedCommands>& groups, std::vector<Reply> flat) {
  std::vector<std::vector<Reply>> per_group(groups.size());
  size_t next = 0;
  for (size_t b = 0; b < groups.size(); ++b) {
    per_group[b].reserve(groups[b].commands.size());
    for (size_t i = 0; i < groups[b].commands.size() && next < flat.size();
         ++i) {
      per_group[b].push_back(std::move(flat[next++]));
    }
  }
  return per_group;
}

Result<std::vector<std::vector<Reply>>> RedisClient::RunPipelines(
    const std::vector<RoutedCommands>& groups, Access access,
    Executor* executor) {
  size_t count = 0;
  for (const RoutedCommands& group : groups) count += group.commands.size();
  Result<std::vector<Reply>> replies =
      CollectReplies(count, [&](const ReplyFn& on_reply) {
        return StreamPipelines(groups, access, executor, on_reply);
      });
  if (!replies.ok()) return replies.status();
  return SplitPerGroup(groups, std::move(replies).value());
}

Result<Reply> RedisClient::Run(std::string_view routing_key,
                               const Command& command, Access access) {
  Result<std::vector<Reply>> replies =
      RunPipeline(routing_key, {command}, access);
  if (!replies.ok()) return replies.status();
  return std::move(replies->front());
}

Result<std::vector<std::string>> RedisClient::ScanKeys(
    std::string_view pattern) {
  std::unordered_set<std::string> keys;
  Status status = ForEachMaster([&](NodeSession& node) -> Status {
    std::string cursor = "0";
    do {
      Result<Reply> reply = node.Run(Scan(cursor, pattern, kScanCount));
      if (!reply.ok()) return reply.status();
      TFRA_REDIS_RETURN_IF_ERROR(ReadScanPage(*reply, &cursor, &keys));
    } while (cursor != "0");
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return std::vector<std::string>(keys.begin(), keys.end());
}

Status RedisClient::Ping() {
  return ForEachMaster([](NodeSession& node) -> Status {
    Result<Reply> reply = node.Run(redis_client::Ping());
    if (!reply.ok()) return reply.status();
    return reply->ToStatus();
  });
}

}  // namespace redis_client
}  // namespace tfra

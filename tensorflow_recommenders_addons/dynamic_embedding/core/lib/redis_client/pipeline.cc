#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/pipeline.h"

namespace tfra {
namespace redis_client {
namespace {

size_t ArgumentBytes(const Command& command) {
  size_t bytes = 0;
  for (size_t i = 0; i < command.size(); ++i)
    bytes += command.arg(i).size() + 16;
  return bytes;
}

Status BatchContext(const Status& status, const CommandRefs& commands) {
  return status.WithContext("pipeline of " + std::to_string(commands.size()) +
                            " command(s) starting with " +
                            DescribeCommand(*commands.front()));
}

// Appends commands [begin, ...) until one window's worth of arguments is
// buffered (at least one command); returns the end of the window.
Result<size_t> AppendWindow(Connection& connection, const CommandRefs& commands,
                            size_t begin) {
  size_t next = begin;
  size_t window_bytes = 0;
  while (next < commands.size() &&
         (next == begin || window_bytes < kPipelineWindowBytes)) {
    Status appended = connection.Append(*commands[next]);
    if (!appended.ok()) return BatchContext(appended, commands);
    window_bytes += ArgumentBytes(*commands[next]);
    ++next;
  }
  return next;
}

// Reads the replies of commands [begin, end), handing each over.
Status ReadWindow(Connection& connection, const CommandRefs& commands,
                  size_t begin, size_t end, const ReplyFn& on_reply) {
  for (size_t i = begin; i < end; ++i) {
    Result<Reply> reply = connection.ReadReply(commands[i]->element_target());
    if (!reply.ok()) return BatchContext(reply.status(), commands);
    on_reply(i, std::move(reply).value());
  }
  return Status::Ok();
}

}  // namespace

CommandRefs RefsOf(const std::vector<Command>& commands) {
  CommandRefs refs;
  refs.reserve(commands.size());
  for (const Command& command : commands) refs.push_back(&command);
  return refs;
}

Status RunPipeline(Connection& connection, const CommandRefs& commands,
                   const ReplyFn& on_reply) {
  size_t next = 0;
  while (next < commands.size()) {
    const size_t window_begin = next;
    Result<size_t> window_end = AppendWindow(connection, commands, next);
    if (!window_end.ok()) return window_end.status();
    next = *window_end;
    TFRA_REDIS_RETURN_IF_ERROR(
        ReadWindow(connection, commands, window_begin, next, on_reply));
  }
  return Status::Ok();
}

bool FitsOneWindow(const CommandRefs& commands) {
  size_t bytes = 0;
  for (size_t i = 0; i + 1 < commands.size(); ++i) {
    bytes += ArgumentBytes(*commands[i]);
    if (bytes >= kPipelineWindowBytes) return false;
  }
  return true;
}

Status SendPipeline(Connection& connection, const CommandRefs& commands) {
  if (commands.empty()) return Status::Ok();
  Result<size_t> window_end = AppendWindow(connection, commands, 0);
  if (!window_end.ok()) return window_end.status();
  if (*window_end != commands.size()) {
    return Status(ErrorCode::kInvalidArgument,
                  "SendPipeline: the commands do not fit one window");
  }
  Status flushed = connection.Flush();
  return flushed.ok() ? flushed : BatchContext(flushed, commands);
}

Status ReceivePipeline(Connection& connection, const CommandRefs& commands,
                       const ReplyFn& on_reply) {
  return ReadWindow(connection, commands, 0, commands.size(), on_reply);
}

Result<std::vector<Reply>> CollectReplies(
    size_t count, const std::function<Status(const ReplyFn&)>& run) {
  std::vector<Reply> replies(count);
  // Each index is handed over once, so concurrent calls write apart.
  Status status = run([&replies](size_t index, Reply&& reply) {
    replies[index] = std::move(reply);
  });
  if (!status.ok()) return status;
  return replies;
}

Result<std::vector<Reply>> RunPipeline(Connection& connection,
                                       const CommandRefs& commands) {
  return CollectReplies(commands.size(), [&](const ReplyFn& on_reply) {
    return RunPipeline(connection, commands, on_reply);
  });
}

Result<std::vector<Reply>> RunPipelineOnPool(ConnectionPool& pool,
                                             const CommandRefs& commands) {
  return CollectReplies(commands.size(), [&](const ReplyFn& on_reply) {
    return RunPipelineOnPool(pool, commands, on_reply);
  });
}

Status RunPipelineOnPool(ConnectionPool& pool, const CommandRefs& commands,
                         const ReplyFn& on_reply) {
  if (commands.empty()) return Status::Ok();
  Result<PooledConnection> lease = pool.Acquire();
  if (!lease.ok()) return lease.status();
  return RunPipeline(**lease, commands, on_reply);
}

Result<Reply> NodeSession::Run(const Command& command) {
  Result<std::vector<Reply>> replies = RunPipelineOnPool(*pool_, {&command});
  if (!replies.ok()) return replies.status();
  return std::move(replies->front());
}

Result<std::vector<Reply>> NodeSession::RunPipeline(
    const std::vector<Command>& commands) {
  return RunPipelineOnPool(*pool_, RefsOf(commands));
}

}  // namespace redis_client
}  // namespace tfra

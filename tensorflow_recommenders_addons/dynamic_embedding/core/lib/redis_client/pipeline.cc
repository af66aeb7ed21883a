#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/pipeline.h"

namespace tfra {
namespace redis_client {
namespace {

// What a command weighs against the pipeline window.
size_t WindowBytes(const Command& command) {
  size_t bytes = command.expected_reply_bytes();
  for (size_t i = 0; i < command.size(); ++i)
    bytes += command.arg(i).size() + 16;
  return bytes;
}

Status BatchContext(const Status& status, const CommandRefs& commands) {
  return status.WithContext("pipeline of " + std::to_string(commands.size()) +
                            " command(s) starting with " +
                            DescribeCommand(*commands.front()));
}

// Reads the reply to commands[index] and hands it over.
Status ReadOne(Connection& connection, const CommandRefs& commands,
               size_t index, const ReplyFn& on_reply) {
  Result<Reply> reply =
      connection.ReadReply(commands[index]->element_target());
  if (!reply.ok()) return BatchContext(reply.status(), commands);
  on_reply(index, std::move(reply).value());
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
  size_t sent = 0;
  size_t answered = 0;
  size_t in_flight = 0;  // window bytes of commands sent and not answered
  while (answered < commands.size()) {
    // Top up in bursts, so that small commands share one write.
    if (in_flight <= kPipelineWindowBytes / 2) {
      while (sent < commands.size() &&
             (sent == answered || in_flight < kPipelineWindowBytes)) {
        Status appended = connection.Append(*commands[sent]);
        if (!appended.ok()) return BatchContext(appended, commands);
        in_flight += WindowBytes(*commands[sent]);
        ++sent;
      }
    }
    TFRA_REDIS_RETURN_IF_ERROR(
        ReadOne(connection, commands, answered, on_reply));
    in_flight -= WindowBytes(*commands[answered]);
    ++answered;
  }
  return Status::Ok();
}

bool FitsOneWindow(const CommandRefs& commands) {
  size_t bytes = 0;
  for (size_t i = 0; i + 1 < commands.size(); ++i) {
    bytes += WindowBytes(*commands[i]);
    if (bytes >= kPipelineWindowBytes) return false;
  }
  return true;
}

Status SendPipeline(Connection& connection, const CommandRefs& commands) {
  if (!FitsOneWindow(commands)) {
    return Status(ErrorCode::kInvalidArgument,
                  "SendPipeline: the commands do not fit one window");
  }
  for (const Command* command : commands) {
    Status appended = connection.Append(*command);
    if (!appended.ok()) return BatchContext(appended, commands);
  }
  Status flushed = connection.Flush();
  return flushed.ok() ? flushed : BatchContext(flushed, commands);
}

Status ReceivePipeline(Connection& connection, const CommandRefs& commands,
                       const ReplyFn& on_reply) {
  for (size_t i = 0; i < commands.size(); ++i) {
    TFRA_REDIS_RETURN_IF_ERROR(ReadOne(connection, commands, i, on_reply));
  }
  return Status::Ok();
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

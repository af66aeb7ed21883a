#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/transaction.h"

#include <string>
#include <utility>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/command.h"

namespace tfra {
namespace redis_client {
namespace {

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// The outcome an EXEC reply reports for `writes`.
Result<CommitOutcome> ExecOutcome(const Reply& exec, const CommandRefs& writes) {
  // Nil: a watched key changed. EXECABORT: a queued write was refused.
  if (exec.is_nil()) return CommitOutcome::kNotRun;
  if (exec.is_error()) {
    if (StartsWith(exec.text(), "EXECABORT")) return CommitOutcome::kNotRun;
    return exec.ToStatus().WithContext("EXEC");
  }
  Result<size_t> count = exec.ArraySize();
  if (!count.ok() || *count != writes.size()) {
    return Status(ErrorCode::kProtocol,
                  "EXEC answered " +
                      std::to_string(count.ok() ? *count : 0) +
                      " replies for " + std::to_string(writes.size()) +
                      " writes");
  }
  for (size_t i = 0; i < writes.size(); ++i) {
    Status status = exec.element(i).ToStatus();
    if (!status.ok()) {
      return status.WithContext("EXEC ran " + DescribeCommand(*writes[i]) +
                                " with an error (writes before it stay)");
    }
  }
  return CommitOutcome::kCommitted;
}

}  // namespace

Status WatchAndRead(Connection& connection, std::string_view key,
                    const CommandRefs& reads, const ReplyFn& on_reply,
                    const std::function<void()>& while_sent) {
  const Command watch{"WATCH", key};
  CommandRefs refs;
  refs.reserve(reads.size() + 1);
  refs.push_back(&watch);
  refs.insert(refs.end(), reads.begin(), reads.end());
  Status watched;
  auto on_any_reply = [&](size_t i, Reply&& reply) {
    if (i == 0) {
      watched = reply.ToStatus().WithContext("WATCH");
    } else {
      on_reply(i - 1, std::move(reply));
    }
  };
  // RunPipeline's loop, with `while_sent` after the first window.
  PipelineWindow window(&connection, &refs);
  TFRA_REDIS_RETURN_IF_ERROR(window.TopUp());
  if (while_sent) while_sent();
  while (!window.done()) {
    TFRA_REDIS_RETURN_IF_ERROR(window.ReadNext(on_any_reply));
    TFRA_REDIS_RETURN_IF_ERROR(window.TopUp());
  }
  return watched;
}

Result<CommitOutcome> CommitWatched(Connection& connection,
                                    const CommandRefs& writes) {
  const Command multi{"MULTI"};
  const Command exec{"EXEC"};
  CommandRefs refs;
  refs.reserve(writes.size() + 2);
  refs.push_back(&multi);
  refs.insert(refs.end(), writes.begin(), writes.end());
  refs.push_back(&exec);
  Status multi_status;
  Reply exec_reply;
  Status sent = RunPipeline(connection, refs, [&](size_t i, Reply&& reply) {
    if (i == 0) multi_status = reply.ToStatus();
    if (i + 1 == refs.size()) exec_reply = std::move(reply);
  });
  if (!sent.ok()) return sent;
  if (!multi_status.ok()) {
    // Only a MULTI inside MULTI is refused, which this API never sends; the
    // writes would then have run outside a transaction.
    connection.MarkBroken();
    return multi_status.WithContext("MULTI refused; writes may have run");
  }
  return ExecOutcome(exec_reply, writes);
}

Status Unwatch(Connection& connection) {
  Result<Reply> reply = connection.Run(Command{"UNWATCH"});
  if (!reply.ok()) return reply.status();
  return reply->ToStatus().WithContext("UNWATCH");
}

}  // namespace redis_client
}  // namespace tfra

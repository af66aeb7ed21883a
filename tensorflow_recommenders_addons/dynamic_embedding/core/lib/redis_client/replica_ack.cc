#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/replica_ack.h"

#include <string>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_metrics.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/repeat_rule.h"

namespace tfra {
namespace redis_client {

ReplicaAck::ReplicaAck(const DurableWriteOptions& options) : options_(options) {
  wait_.Add("WAIT").AddInt(options.replicas).AddInt(options.timeout.count());
}

Status ReplicaAck::Check(const Reply& reply) const {
  Status status = reply.ToStatus();
  return Count(status.ok() ? reply.AsInteger() : Result<int64_t>(status));
}

Status ReplicaAck::Count(const Result<int64_t>& acknowledged) const {
  const std::string wanted = std::to_string(options_.replicas) +
                             " replica(s) within " +
                             std::to_string(options_.timeout.count()) + " ms";
  if (acknowledged.ok() && *acknowledged >= options_.replicas) {
    return Status::Ok();
  }
  ClientMetrics::Get().errors(ErrorCode::kNotReplicated)->Add();
  return Status(
      ErrorCode::kNotReplicated,
      "the writes are applied on the master, but " +
          (acknowledged.ok()
               ? "only " + std::to_string(*acknowledged) + " of " + wanted
               : "WAIT for " + wanted + " failed (" +
                     acknowledged.status().ToString() + ")") +
          " acknowledged them: they may be lost if the master fails now");
}

Status ReplicaAck::WaitOn(Connection& connection) const {
  if (!enabled()) return Status::Ok();
  Result<Reply> reply = connection.Run(wait_);
  // The writes before it ran whatever became of the WAIT: a lost answer is
  // kNotReplicated too, so no caller takes the writes for undone.
  if (!reply.ok()) return Count(reply.status());
  return Check(*reply);
}

Status ReplicaAck::RunThenWait(
    Connection& connection,
    const std::function<Status(Connection&)>& fn) const {
  // Writes of the connection's earlier users had a WAIT of their own.
  connection.TakeWrites();
  Status status = fn(connection);
  if (status.ok() && connection.TakeWrites()) status = WaitOn(connection);
  return status;
}

void PipelineAck::OnReply(const Command& command, const Reply& reply) {
  wrote_ = wrote_ || MayHaveWritten(command, reply.view());
}

void PipelineAck::OnWait(const Reply& reply) {
  wait_answered_ = true;
  // Nothing ran that WAIT must vouch for: its answer is moot.
  if (wrote_) replicated_ = ack_->Check(reply);
}

Status PipelineAck::Outcome(const Status& failure) const {
  if (!failure.ok()) {
    if (waits() && wrote_ && !wait_answered_ && failure.IsTransient()) {
      ClientMetrics::Get().errors(ErrorCode::kNotReplicated)->Add();
      return Status(ErrorCode::kNotReplicated,
                    "writes ran, but the connection failed before replicas "
                    "acknowledged them: " +
                        failure.message());
    }
    return failure;
  }
  return replicated_;
}

}  // namespace redis_client
}  // namespace tfra

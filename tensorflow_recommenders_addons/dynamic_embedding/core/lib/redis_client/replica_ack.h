// Durable writes (DurableWriteOptions): WAIT <replicas> <timeout> after the
// writes of a pipeline, on the same connection, so that a write call returns
// only once that many replicas acknowledged every write the connection made.
// A WAIT that reports fewer replicas fails the call with kNotReplicated: the
// writes are applied on the master, but may be lost if it fails now.
//
// Who sends it: SingleNodeClient after every pipeline that holds a write
// (repeat_rule.h: WritesData), ClusterRouter after every node's group that
// holds one, in each attempt (resent writes get a fresh WAIT on their new
// connection), and both WithMasterConnection implementations after the
// caller's commands when one of them may have written (accum's
// transactions; RunThenWait).
//
// WAIT vouches only for writes that ran. When every write before it was
// refused (NOSCRIPT on a master whose script cache a failover emptied,
// READONLY from a demoted master, LOADING, MOVED), its answer is moot: the
// refusals are the pipeline's answer, and the caller may resend (EVAL after
// NOSCRIPT) or report them. Reporting kNotReplicated there would say that
// writes were applied when none ran (PipelineAck).
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_REPLICA_ACK_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_REPLICA_ACK_H_

#include <functional>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/command.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/connection.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/options.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/reply.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/status.h"

namespace tfra {
namespace redis_client {

// Immutable; thread-safe.
class ReplicaAck {
 public:
  explicit ReplicaAck(const DurableWriteOptions& options);

  // False when no replica needs to acknowledge writes (replicas == 0).
  bool enabled() const { return options_.replicas > 0; }
  // WAIT <replicas> <timeout ms>; for enabled() only.
  const Command& command() const { return wait_; }
  // OK when `reply` (to command()) counts enough replicas, else
  // kNotReplicated saying how many acknowledged (or the error reply).
  Status Check(const Reply& reply) const;
  // Sends command() on `connection` and checks the reply; OK when !enabled().
  // Any failure, a lost reply included, is kNotReplicated: the writes the
  // connection made before ran.
  Status WaitOn(Connection& connection) const;
  // Runs `fn` on `connection`, then WaitOn when `fn` returned OK and one of
  // its commands may have written (Connection::TakeWrites): a transaction
  // that EXEC discarded, or that only read, waits for nothing.
  Status RunThenWait(Connection& connection,
                     const std::function<Status(Connection&)>& fn) const;

 private:
  // OK when `acknowledged` (WAIT's answer, or why there is none) reaches
  // options_.replicas, else kNotReplicated.
  Status Count(const Result<int64_t>& acknowledged) const;

  const DurableWriteOptions options_;
  Command wait_;
};

// The replication outcome of one pipeline that may end with WAIT: fed the
// replies of its commands in order, it counts WAIT's answer only when one
// of the commands before it may have written (repeat_rule.h). Not
// thread-safe; one per pipeline.
class PipelineAck {
 public:
  // `ack` null: the pipeline has no WAIT, and Outcome passes failures on.
  explicit PipelineAck(const ReplicaAck* ack) : ack_(ack) {}

  bool waits() const { return ack_ != nullptr; }
  // The reply to `command`, a command before the WAIT.
  void OnReply(const Command& command, const Reply& reply);
  // WAIT's reply.
  void OnWait(const Reply& reply);
  // The pipeline's status given `failure`, its own (transport) status:
  // kNotReplicated when writes may have run and WAIT said too few replicas,
  // or when a transient failure cut the pipeline after such a write was
  // answered and before WAIT's reply (a WAIT on another connection cannot
  // vouch for them); else `failure`.
  Status Outcome(const Status& failure) const;

 private:
  const ReplicaAck* ack_;
  bool wrote_ = false;
  bool wait_answered_ = false;
  Status replicated_;
};

}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_REPLICA_ACK_H_

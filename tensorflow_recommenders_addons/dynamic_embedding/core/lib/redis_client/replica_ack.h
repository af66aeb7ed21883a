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
// caller's commands (accum's transactions).
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_REPLICA_ACK_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_REPLICA_ACK_H_

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

 private:
  // OK when `acknowledged` (WAIT's answer, or why there is none) reaches
  // options_.replicas, else kNotReplicated.
  Status Count(const Result<int64_t>& acknowledged) const;

  const DurableWriteOptions options_;
  Command wait_;
};

}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_REPLICA_ACK_H_

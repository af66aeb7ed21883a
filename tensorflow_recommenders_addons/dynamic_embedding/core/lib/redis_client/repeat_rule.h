// The one rule for sending a command again after a transport failure left it
// without a reply. Such a command may or may not have run; sending it again
// is harmless only when running it twice leaves what running it once does.
//
// SafeToRepeat answers from a fixed list of command names (below, in the
// .cc): reads, absolute writes (HSET, HDEL, DEL, UNLINK, EXPIRE, PERSIST,
// RESTORE ... REPLACE) and commands that only set up the connection. Every
// other command is unsafe, in particular those that add to what is stored:
// EVALSHA / EVAL (accum's script), HMACCUM, HINCRBY*, INCR* and EXEC. The
// pipeline (pipeline.h) applies the rule: a transport failure that leaves an
// unsafe command sent and unanswered becomes ErrorCode::kOutcomeUnknown,
// which nothing retries, so the caller learns that the update may have been
// applied instead of having it applied twice. Commands that were never
// written to a socket did not run and may always be sent (again).
//
// A resent absolute write restores the value it carries: when another client
// wrote the same field between the lost reply and the resend, that write is
// overwritten (last writer wins, as for any two writers of one field).
//
// The second half of the file answers the converse question for commands
// that did get a reply: may this one have changed stored data? A WAIT for
// replicas (replica_ack.h) vouches for writes that ran; when every write of
// a pipeline was refused before running (NOSCRIPT after a failover emptied
// the script cache, READONLY from a demoted master, LOADING, a redirection),
// that refusal is the answer and a failed WAIT must not turn it into "the
// writes are applied but not replicated".
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_REPEAT_RULE_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_REPEAT_RULE_H_

#include <cstdint>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/command.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/reply.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/status.h"

namespace tfra {
namespace redis_client {

// True when running `command` twice has the effect of running it once.
bool SafeToRepeat(const Command& command);

// False for commands known to leave stored data alone (reads, connection
// set-up); a pipeline with none that writes needs no WAIT (replica_ack.h).
bool WritesData(const Command& command);

// What a command's reply can tell about its writes (MayHaveWritten).
enum class WriteKind : uint8_t {
  kNone,          // leaves stored data alone (!WritesData)
  kAllOrNothing,  // an error reply means it wrote nothing: plain Redis
                  // writes, and commands marked Command::AllOrNothing()
  kExec,          // EXEC: its reply says whether the queued writes ran
  kOther,         // scripts, module commands: may fail half-way
};
WriteKind WriteKindOf(const Command& command);

// True when the server refused the command before running any of it: a
// redirection (MOVED, ASK), a transient state (TRYAGAIN, CLUSTERDOWN,
// LOADING, READONLY, MASTERDOWN, BUSY), an auth or ACL refusal, NOSCRIPT
// (the script is not cached), EXECABORT, OOM, or an unknown command.
bool RefusedBeforeRunning(const ReplyView& reply);

// Whether a command of `kind` answered by `reply` may have changed stored
// data. False for kNone; for a refusal (RefusedBeforeRunning); for any error
// reply of a kAllOrNothing command; for a write queued inside MULTI
// ("QUEUED": EXEC's reply tells); for EXEC's nil (a watched key changed) or
// error reply (EXECABORT: nothing ran). True otherwise, when unsure included.
bool MayHaveWritten(WriteKind kind, const ReplyView& reply);
inline bool MayHaveWritten(const Command& command, const ReplyView& reply) {
  return MayHaveWritten(WriteKindOf(command), reply);
}

// The status of a pipeline that `transport_failure` cut while `command`, not
// safe to repeat, was sent and unanswered: kOutcomeUnknown, saying that it
// may have been applied and is not sent again.
Status OutcomeUnknown(const Status& transport_failure, const Command& command);

}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_REPEAT_RULE_H_

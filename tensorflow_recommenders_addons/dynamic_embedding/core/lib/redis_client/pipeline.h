// Pipelining: append N commands on one connection, then read N replies, so a
// batch costs one round trip instead of N. Server error replies stay
// per-command (in the returned replies); a transport failure fails the whole
// batch, because which commands ran is then unknown. When a command sent and
// left unanswered by it is not safe to repeat (repeat_rule.h), the failure is
// ErrorCode::kOutcomeUnknown, naming that command, so that no layer above
// sends it again.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_PIPELINE_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_PIPELINE_H_

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/command.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/connection.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/connection_pool.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/reply.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/status.h"

namespace tfra {
namespace redis_client {

// Borrowed commands of one pipeline, in sending order.
using CommandRefs = std::vector<const Command*>;

CommandRefs RefsOf(const std::vector<Command>& commands);

// Receives the reply to commands[index] as soon as it is read, so a caller
// can decode it while it is still in cache (and without holding a batch of
// replies). Called in command order, on the calling thread.
using ReplyFn = std::function<void(size_t index, Reply&& reply)>;

// Runs `run`, storing the reply it hands over for index i at position i of
// the result, which has `count` positions; for the collecting variants.
Result<std::vector<Reply>> CollectReplies(
    size_t count, const std::function<Status(const ReplyFn&)>& run);

// Sends `commands` on `connection` and hands each reply to `on_reply`.
// Commands go out in a sliding window: at most kPipelineWindowBytes of
// arguments and expected replies (Command::ExpectReplyBytes) are unanswered
// at any time (one command at least), and more are sent once half of that
// was answered. Memory stays bounded on both ends, and the server never
// idles nor queues megabytes of replies the client is not reading yet.
// On a transport error, the replies handed over so far are those of the
// commands that ran; which of the others ran is unknown (kOutcomeUnknown
// when one of those is not safe to repeat).
Status RunPipeline(Connection& connection, const CommandRefs& commands,
                   const ReplyFn& on_reply);

// Sends `commands` on `connection` and returns their replies in order, as
// the other RunPipeline. Transport errors name the endpoint, the first
// command and the batch size. Uses `connection` only; thread-safety is that
// of the connection.
Result<std::vector<Reply>> RunPipeline(Connection& connection,
                                       const CommandRefs& commands);

// Bytes of arguments and expected replies unanswered in a pipeline. Replies
// queued on the server beyond a few MB cost more than they save: HMGET of
// 128k rows of 1 KB ran at 0.50-0.59 M rows/s with the whole batch in
// flight and 0.81-0.97 with 2-4 MB (store_bench, standalone).
inline constexpr size_t kPipelineWindowBytes = size_t{4} << 20;

// One pipeline's progress on one connection: the sliding window of
// RunPipeline, driven step by step, so one thread can keep several nodes
// busy at once (top up every node, then read one reply from each in turn).
// Replies are handed over as RunPipeline does. Borrows both arguments.
class PipelineWindow {
 public:
  PipelineWindow(Connection* connection, const CommandRefs* commands)
      : connection_(connection), commands_(commands) {}

  bool done() const { return answered_ == commands_->size(); }
  // When at most half the window is unanswered, sends commands until it is
  // full (at least one unanswered), and writes them out; a big first command
  // (32 KB of arguments) to a connection with nothing unanswered is written
  // at once, so the server starts on it while the others are formatted.
  Status TopUp();
  // Reads the next reply (its command was sent by TopUp) and hands it over.
  Status ReadNext(const ReplyFn& on_reply);

 private:
  // `failure` (a transport error) with commands [answered_, maybe_sent)
  // unanswered: kOutcomeUnknown when one of them is not safe to repeat.
  Status Failed(const Status& failure, size_t maybe_sent) const;

  Connection* connection_;
  const CommandRefs* commands_;
  size_t sent_ = 0;
  size_t answered_ = 0;
  size_t in_flight_ = 0;  // window bytes of commands sent and not answered
};

// Leases a connection from `pool` and runs RunPipeline on it. Thread-safe.
Result<std::vector<Reply>> RunPipelineOnPool(ConnectionPool& pool,
                                             const CommandRefs& commands);
Status RunPipelineOnPool(ConnectionPool& pool, const CommandRefs& commands,
                         const ReplyFn& on_reply);

// One pipeline of RunPipelinesInterleaved: `commands` to run on a connection
// leased from `pool`, replies to `on_reply` (indexes into `commands`). The
// pointers are borrowed; `status` is the pipeline's outcome.
struct PooledPipeline {
  ConnectionPool* pool = nullptr;
  const CommandRefs* commands = nullptr;
  ReplyFn on_reply;
  Status status;
};

// Runs every pipeline from the calling thread, each on its own lease: every
// one gets its first window (PipelineWindow) before any reply is read, then
// they take turns, one reply read and a top-up each, so the servers work at
// once while this thread waits on one of them. One pipeline's failure
// (a lease not obtained, a transport error) ends that pipeline only. Leases
// are taken in one global order (by pool), so two calls that each hold one
// pool's last free connection never wait for each other's. Thread-safe for
// distinct `pipelines`.
void RunPipelinesInterleaved(std::vector<PooledPipeline>* pipelines);

// Commands on one node, one lease per call; handed to ForEachMaster
// callbacks. Thread-safe; valid while the pool it wraps lives.
class NodeSession {
 public:
  explicit NodeSession(ConnectionPool* pool) : pool_(pool) {}

  std::string Describe() const { return pool_->Describe(); }
  // The reply may be an error reply; transport errors are a failed Result.
  Result<Reply> Run(const Command& command);
  Result<std::vector<Reply>> RunPipeline(const std::vector<Command>& commands);

 private:
  ConnectionPool* pool_;
};

}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_PIPELINE_H_

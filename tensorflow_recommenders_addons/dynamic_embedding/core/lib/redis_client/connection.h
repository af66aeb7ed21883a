// One hiredis blocking context: connect with timeouts, the handshake (AUTH,
// SELECT, READONLY), sending binary-safe argv commands and reading replies.
// Transport failures are translated into Status here and only here; after
// any of them the connection is broken for good and must be dropped.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CONNECTION_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CONNECTION_H_

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/command.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/command_support.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/element_sink.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/options.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/repeat_rule.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/reply.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/status.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/write_buffer.h"

struct redisContext;  // hiredis

namespace tfra {
namespace redis_client {

class TlsChannel;

// Not thread-safe: one thread at a time (the pool hands a connection to one
// lease holder). Move-less; owned through std::unique_ptr.
class Connection {
 public:
  // Connects to `endpoint`, runs the TLS handshake when options.tls asks for
  // it (tls_channel.h), then the Redis handshake: AUTH when credentials are
  // set, SELECT when db != 0, READONLY when `readonly` (cluster replica
  // reads). Errors name the endpoint; auth failures and rejected
  // certificates have code kAuth.
  static Result<std::unique_ptr<Connection>> Open(
      const Endpoint& endpoint, const ConnectionOptions& options,
      bool readonly = false);

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Buffers `command`; it is sent by ReadReply(), or once more than
  // kOutputFlushBytes are buffered (so the server starts on a long pipeline
  // while later commands are formatted).
  Status Append(const Command& command);
  // Sends everything buffered, then waits for the next reply. An error reply
  // is a successful Reply (check reply->ToStatus()); only transport failures
  // are errors here. With a sink in `elements`, the reply's top-level array
  // elements stream to it (Command::SendElementsTo).
  Result<Reply> ReadReply(const ElementTarget& elements = ElementTarget());
  // Append + ReadReply.
  Result<Reply> Run(const Command& command);
  // Writes every command appended so far to the socket now, without reading
  // a reply: a caller can start several nodes on their pipelines from one
  // thread before it waits for any of them. After a failure the connection
  // is broken.
  Status Flush();

  // Whether the node has the command `name` (COMMAND INFO), asked on this
  // connection the first time and remembered for its life: a module loaded
  // or unloaded later is seen by connections opened afterwards. Must not be
  // called with replies pending. A failed query is not remembered.
  Result<CommandSupport> SupportOf(std::string_view name);

  // Marks the connection unusable, e.g. after the peer proved to have the
  // wrong role. Transport errors do this by themselves.
  void MarkBroken() { broken_ = true; }
  bool broken() const { return broken_; }
  // True when an I/O error or EOF broke the connection: the peer is likely
  // gone, so its sibling connections are suspect too. A timeout alone (a slow
  // command) or MarkBroken() does not count.
  bool died_of_transport_error() const {
    return broken_by_ == ErrorCode::kIo || broken_by_ == ErrorCode::kClosed;
  }
  // Commands appended whose reply was not read yet. A connection returned to
  // a pool with unread replies would hand them to the next user, so the pool
  // drops it.
  size_t pending_replies() const { return pending_kinds_.size(); }

  // Whether a reply read since the last call says its command may have
  // changed stored data (repeat_rule.h: MayHaveWritten), i.e. whether a
  // WAIT on this connection now has writes to vouch for (replica_ack.h).
  // Clears the mark.
  bool TakeWrites() {
    const bool wrote = wrote_;
    wrote_ = false;
    return wrote;
  }

  const Endpoint& endpoint() const { return endpoint_; }
  std::chrono::steady_clock::time_point created_at() const {
    return created_at_;
  }

 private:
  struct ContextDeleter {
    void operator()(redisContext* context) const;
  };

  Connection(const Endpoint& endpoint, redisContext* context);

  Status Handshake(const ConnectionOptions& options, bool readonly);
  // kClosed once the connection is broken, else Ok.
  Status RefuseIfBroken() const;
  // Fail with the hiredis context's error (connect and setup calls).
  Status TransportError(const char* action, int saved_errno);
  // Marks the connection broken; the error names the endpoint and action.
  Status Fail(ErrorCode code, const char* action, const char* detail);
  // Reads what the socket holds (blocking until something arrives) into the
  // reply parser.
  Status FeedReader();
  // Plain write(2)/read(2), or through tls_: bytes moved (> 0; a read
  // returns 0 at end of stream), or the transport error.
  Result<size_t> WriteSome(const char* data, size_t size);
  Result<size_t> ReadSome(char* buffer, size_t size);

  Endpoint endpoint_;
  std::unique_ptr<redisContext, ContextDeleter> context_;
  // Set when the connection uses TLS; destroyed before context_ closes the
  // socket it runs on.
  std::unique_ptr<TlsChannel> tls_;
  std::chrono::steady_clock::time_point created_at_;
  bool broken_ = false;
  ErrorCode broken_by_ = ErrorCode::kOk;
  // Per command appended and not answered yet, in order: what its reply
  // can tell about its writes.
  std::deque<WriteKind> pending_kinds_;
  bool wrote_ = false;  // see TakeWrites()
  // SupportOf's answers, by command name (a handful at most).
  std::vector<std::pair<std::string, CommandSupport>> known_commands_;

  // Commands appended and not yet written, in the wire format. Kept between
  // calls (up to kMaxKeptOutputBytes) instead of hiredis' output buffer,
  // which is freed after every write: a 1 MB HSET then grew and shrank the
  // heap on every call, and the page faults doubled the client's CPU.
  WriteBuffer out_;
};

}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CONNECTION_H_

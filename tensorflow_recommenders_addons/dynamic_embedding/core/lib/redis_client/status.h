// Errors as values for the Redis client layer: a Status carries a category
// (ErrorCode) and a message naming the node and the command; Result<T> is a
// value or a non-OK Status. Every hiredis failure is translated into one of
// these in connection.cc (transport) or reply.cc (server error replies).
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_STATUS_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_STATUS_H_

#include <string>
#include <string_view>
#include <utility>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/result.h"

namespace tfra {
namespace redis_client {

enum class ErrorCode {
  kOk = 0,
  kIo,               // read/write/connect failed (refused, reset, ...)
  kTimeout,          // connect or socket timeout expired
  kClosed,           // the server closed the connection (EOF)
  kProtocol,         // unparsable reply, or a reply of an unexpected shape
  kReplyError,       // the server answered with an error reply ("-ERR ...")
  kMoved,            // cluster redirection: the slot lives on another node
  kAsk,              // cluster redirection: the slot is being migrated
  kNoNode,           // no known node serves the slot (cluster map incomplete)
  kInvalidArgument,  // the caller's options or arguments are wrong
  kUnavailable,      // transient server state (TRYAGAIN, CLUSTERDOWN,
                     // LOADING, READONLY replica, pool exhausted, ...)
  kAuth,             // authentication or ACL permission failure
  kOutcomeUnknown,   // a command not safe to repeat lost its reply: it may
                     // have run, and is not retried (repeat_rule.h)
  kNotReplicated,    // writes ran on the master, but fewer replicas than
                     // required acknowledged them (replica_ack.h)
};

// Stable lower-case name of `code` ("io", "timeout", ...), used in messages.
const char* ErrorCodeName(ErrorCode code);

// Immutable; safe to copy and share between threads.
class Status {
 public:
  Status() = default;  // OK
  Status(ErrorCode code, std::string message);

  static Status Ok() { return Status(); }
  // What a Result built from an OK status holds instead (see result.h).
  static Status ResultWithoutValue() {
    return Status(ErrorCode::kInvalidArgument, "Result built from OK");
  }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "timeout: <message>", or "ok".
  std::string ToString() const;

  // Same code, message "<context>: <message>". OK stays OK.
  Status WithContext(std::string_view context) const;

  // True for failures a later attempt may not see again: transport errors,
  // redirections and kUnavailable. Auth, argument and reply errors are not.
  bool IsTransient() const;

  // True when the connection that produced this error cannot be reused.
  bool IsTransportError() const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

// Collects the failures of several nodes tried in turn (Sentinels, cluster
// nodes) into one Status. Not synchronised.
class StatusList {
 public:
  void Add(const Status& status);
  bool empty() const { return text_.empty(); }
  // kAuth when any failure was an auth failure (trying again cannot help),
  // else kUnavailable; message "<what> (<failure>; <failure>; ...)".
  Status Combine(const std::string& what) const;

 private:
  std::string text_;
  bool saw_auth_ = false;
};

template <typename T>
using Result = BasicResult<T, Status>;

}  // namespace redis_client
}  // namespace tfra

// Returns early from the enclosing function when `expr` (a Status) is not OK.
#define TFRA_REDIS_RETURN_IF_ERROR(expr)                      \
  do {                                                        \
    ::tfra::redis_client::Status tfra_redis_status_ = (expr); \
    if (!tfra_redis_status_.ok()) return tfra_redis_status_;  \
  } while (false)

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_STATUS_H_

// Errors as values for the TF-free table logic (lib/redis_table).
// Deliberately a separate, smaller type than redis_client::Status: the table
// layer speaks in the categories a TensorFlow user acts on (fix the config,
// retry later, ...), and the kernel maps both status types to
// tensorflow::Status in one place.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_TABLE_STATUS_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_TABLE_STATUS_H_

#include <string>
#include <string_view>
#include <utility>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/result.h"

namespace tfra {
namespace redis_table {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // bad config value, bad tensor shape, corrupt data
  kNotFound,            // a file or key that must exist does not
  kUnavailable,         // transient: Redis unreachable, timeouts
  kFailedPrecondition,  // the environment is not as required (fix the setup)
  kInternal,            // a broken invariant of this code
  kCancelled,           // stopped on request (an interrupted tool run)
  // A write that may or may not have been applied (its reply was lost) and
  // must not be repeated blindly; TensorFlow's UNKNOWN, which no TF retry
  // loop takes for a transient failure.
  kOutcomeUnknown,
};

// Stable upper-case name ("INVALID_ARGUMENT", ...), as TensorFlow spells its
// error codes; also used by the shared test-case files.
const char* StatusCodeName(StatusCode code);

// Immutable value; safe to copy and share between threads.
class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message);

  static Status Ok() { return Status(); }
  // What a Result built from an OK status holds instead (see result.h).
  static Status ResultWithoutValue() {
    return Status(StatusCode::kInternal, "Result built from an OK status");
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "INVALID_ARGUMENT: <message>", or "OK".
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

Status InvalidArgumentError(std::string message);
Status NotFoundError(std::string message);
Status UnavailableError(std::string message);
Status FailedPreconditionError(std::string message);
Status InternalError(std::string message);
Status CancelledError(std::string message);
Status OutcomeUnknownError(std::string message);

template <typename T>
using Result = redis_client::BasicResult<T, Status>;

}  // namespace redis_table
}  // namespace tfra

// Returns early from the enclosing function when `expr` (a redis_table
// Status) is not OK.
#define TFRA_TABLE_RETURN_IF_ERROR(expr)                       \
  do {                                                         \
    ::tfra::redis_table::Status tfra_table_status_ = (expr);   \
    if (!tfra_table_status_.ok()) return tfra_table_status_;   \
  } while (false)

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_TABLE_STATUS_H_

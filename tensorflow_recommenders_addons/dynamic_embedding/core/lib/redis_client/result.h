// Result<T>: a value of type T, or the non-OK status saying why there is
// none. One template for both layers' status types (redis_client::Status and
// redis_table::Status, which differ on purpose in their categories); each
// layer names its own alias `Result<T>`.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_RESULT_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_RESULT_H_

#include <cassert>
#include <optional>
#include <utility>

namespace tfra {
namespace redis_client {

// StatusT: a copyable status with ok() and a static ResultWithoutValue(),
// the error a Result holds when it is (wrongly) built from an OK status.
// Not thread-safe for concurrent mutation (like any value type).
template <typename T, typename StatusT>
class [[nodiscard]] BasicResult {
 public:
  BasicResult(T value) : value_(std::move(value)) {}  // NOLINT: implicit
  BasicResult(StatusT status) : status_(std::move(status)) {  // NOLINT
    assert(!status_.ok() && "Result needs a value or a non-OK status");
    if (status_.ok()) status_ = StatusT::ResultWithoutValue();
  }

  bool ok() const { return status_.ok(); }
  const StatusT& status() const { return status_; }

  // Precondition for all accessors: ok().
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  StatusT status_;
  std::optional<T> value_;
};

}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_RESULT_H_

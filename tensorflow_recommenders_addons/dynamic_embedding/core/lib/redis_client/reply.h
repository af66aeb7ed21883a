// Server replies: Reply owns a hiredis reply tree (freed exactly once),
// ReplyView reads one node of it. Typed readers return a Status on a type
// mismatch instead of guessing, and error replies become classified Statuses
// here and only here (a cluster's MOVED/ASK also parsed into a Redirect).
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_REPLY_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_REPLY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/options.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/status.h"

struct redisReply;  // hiredis

namespace tfra {
namespace redis_client {

enum class ReplyType { kString, kArray, kInteger, kNil, kStatus, kError };

const char* ReplyTypeName(ReplyType type);

// A read-only view of one reply node; valid while the owning Reply lives.
// Safe to read from several threads at once.
class ReplyView {
 public:
  explicit ReplyView(const redisReply* raw) : raw_(raw) {}

  ReplyType type() const;
  bool is_nil() const { return type() == ReplyType::kNil; }
  bool is_error() const { return type() == ReplyType::kError; }
  bool is_array() const { return type() == ReplyType::kArray; }

  // Raw bytes of a string, status or error reply; empty for other types.
  std::string_view text() const;
  // Bulk or status string; error for any other type.
  Result<std::string_view> AsString() const;
  Result<int64_t> AsInteger() const;
  // Number of elements of an array reply; error for any other type.
  Result<size_t> ArraySize() const;
  // Element `i` of an array reply; the caller checks ArraySize() first.
  ReplyView element(size_t i) const;

  // OK unless this is an error reply; then the classified error (MOVED ->
  // kMoved, ASK -> kAsk, TRYAGAIN/CLUSTERDOWN/LOADING/READONLY/MASTERDOWN/
  // BUSY -> kUnavailable, NOAUTH/WRONGPASS/NOPERM -> kAuth, others ->
  // kReplyError) with the server's text as message.
  Status ToStatus() const;

 private:
  Status TypeMismatch(const char* wanted) const;

  const redisReply* raw_;
};

// Owns one top-level reply. Move-only; not synchronised (share a const Reply
// or views of it between threads, never mutate concurrently).
class Reply {
 public:
  Reply() = default;
  // Takes ownership of a top-level reply returned by hiredis.
  explicit Reply(redisReply* raw);

  bool has_value() const { return raw_ != nullptr; }
  ReplyView view() const { return ReplyView(raw_.get()); }
  // The readers of ReplyView, applied to the top-level node.
  ReplyType type() const { return view().type(); }
  bool is_nil() const { return view().is_nil(); }
  bool is_error() const { return view().is_error(); }
  std::string_view text() const { return view().text(); }
  Result<std::string_view> AsString() const { return view().AsString(); }
  Result<int64_t> AsInteger() const { return view().AsInteger(); }
  Result<size_t> ArraySize() const { return view().ArraySize(); }
  ReplyView element(size_t i) const { return view().element(i); }
  Status ToStatus() const { return view().ToStatus(); }

 private:
  friend bool StreamedWhole(const Reply& reply, size_t size);
  struct Deleter {
    void operator()(redisReply* raw) const;
  };
  std::unique_ptr<redisReply, Deleter> raw_;
};

// True when `reply` is an array of `size` elements whose strings all went to
// an ElementSink (Command::SendElementsTo): it holds nothing but nils.
bool StreamedWhole(const Reply& reply, size_t size);

// The classified Status of an error reply text (see ReplyView::ToStatus).
Status ReplyErrorStatus(std::string_view error_text);

// A MOVED or ASK error reply, parsed.
struct Redirect {
  bool ask = false;  // ASK (one-off, send ASKING first) vs MOVED (permanent)
  uint16_t slot = 0;
  Endpoint target;
};

// Parses "MOVED <slot> <host>:<port>" / "ASK ..."; an empty host (a node
// that does not know its address) becomes `replied_by`'s host.
Result<Redirect> ParseRedirect(std::string_view error_text,
                               const Endpoint& replied_by);

// Parses exactly one RESP2 reply from `bytes` (e.g. "+OK\r\n"). Lets tests
// and tools build replies without a server; a truncated or malformed input is
// a kProtocol error.
Result<Reply> ParseReply(std::string_view bytes);

}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_REPLY_H_

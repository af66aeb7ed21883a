#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/reply.h"

#include <hiredis/hiredis.h>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/command.h"

namespace tfra {
namespace redis_client {
namespace {

constexpr size_t kMaxErrorTextBytes = 256;

bool StartsWithWord(std::string_view text, std::string_view word) {
  return text.size() >= word.size() &&
         text.compare(0, word.size(), word) == 0 &&
         (text.size() == word.size() || text[word.size()] == ' ');
}

// A decimal number of at most five digits, at most `max`.
Result<int> ParseNumber(std::string_view text, int max) {
  if (text.empty() || text.size() > 5)
    return Status(ErrorCode::kProtocol, "bad number");
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return Status(ErrorCode::kProtocol, "bad number");
    value = value * 10 + (c - '0');
  }
  if (value > max) return Status(ErrorCode::kProtocol, "number out of range");
  return value;
}

ErrorCode ClassifyErrorText(std::string_view text) {
  if (StartsWithWord(text, "MOVED")) return ErrorCode::kMoved;
  if (StartsWithWord(text, "ASK")) return ErrorCode::kAsk;
  static constexpr std::string_view kTransient[] = {
      "TRYAGAIN", "CLUSTERDOWN", "LOADING", "READONLY", "MASTERDOWN", "BUSY"};
  for (std::string_view word : kTransient) {
    if (StartsWithWord(text, word)) return ErrorCode::kUnavailable;
  }
  static constexpr std::string_view kAuthErrors[] = {"NOAUTH", "WRONGPASS",
                                                     "NOPERM"};
  for (std::string_view word : kAuthErrors) {
    if (StartsWithWord(text, word)) return ErrorCode::kAuth;
  }
  // Redis before 6 answers a wrong AUTH password with a plain ERR.
  if (text.find("invalid password") != std::string_view::npos) {
    return ErrorCode::kAuth;
  }
  return ErrorCode::kReplyError;
}

}  // namespace

const char* ReplyTypeName(ReplyType type) {
  switch (type) {
    case ReplyType::kString:
      return "string";
    case ReplyType::kArray:
      return "array";
    case ReplyType::kInteger:
      return "integer";
    case ReplyType::kNil:
      return "nil";
    case ReplyType::kStatus:
      return "status";
    case ReplyType::kError:
      return "error";
  }
  return "unknown";
}

ReplyType ReplyView::type() const {
  if (raw_ == nullptr) return ReplyType::kNil;
  switch (raw_->type) {
    case REDIS_REPLY_STRING:
      return ReplyType::kString;
    case REDIS_REPLY_ARRAY:
      return ReplyType::kArray;
    case REDIS_REPLY_INTEGER:
      return ReplyType::kInteger;
    case REDIS_REPLY_STATUS:
      return ReplyType::kStatus;
    case REDIS_REPLY_ERROR:
      return ReplyType::kError;
    default:
      return ReplyType::kNil;
  }
}

std::string_view ReplyView::text() const {
  const ReplyType t = type();
  if (t != ReplyType::kString && t != ReplyType::kStatus &&
      t != ReplyType::kError) {
    return std::string_view();
  }
  return std::string_view(raw_->str, raw_->len);
}

Status ReplyView::TypeMismatch(const char* wanted) const {
  if (is_error()) return ToStatus();
  return Status(ErrorCode::kProtocol, std::string("expected a ") + wanted +
                                          " reply, got " +
                                          ReplyTypeName(type()));
}

Result<std::string_view> ReplyView::AsString() const {
  const ReplyType t = type();
  if (t != ReplyType::kString && t != ReplyType::kStatus) {
    return TypeMismatch("string");
  }
  return text();
}

Result<int64_t> ReplyView::AsInteger() const {
  if (type() != ReplyType::kInteger) return TypeMismatch("integer");
  return static_cast<int64_t>(raw_->integer);
}

Result<size_t> ReplyView::ArraySize() const {
  if (type() != ReplyType::kArray) return TypeMismatch("array");
  return static_cast<size_t>(raw_->elements);
}

ReplyView ReplyView::element(size_t i) const {
  if (!is_array() || i >= raw_->elements) return ReplyView(nullptr);
  return ReplyView(raw_->element[i]);
}

Status ReplyView::ToStatus() const {
  if (!is_error()) return Status::Ok();
  return ReplyErrorStatus(text());
}

Reply::Reply(redisReply* raw) : raw_(raw) {}

void Reply::Deleter::operator()(redisReply* raw) const { freeReplyObject(raw); }

bool StreamedWhole(const Reply& reply, size_t size) {
  // On the raw nodes: through ReplyView (two calls per element) this loop
  // was ~50 instructions per key of a 1k-key find (callgrind, store_bench).
  const redisReply* raw = reply.raw_.get();
  if (raw == nullptr || raw->type != REDIS_REPLY_ARRAY || raw->elements != size)
    return false;
  for (size_t i = 0; i < size; ++i) {
    const redisReply* element = raw->element[i];
    if (element != nullptr && element->type != REDIS_REPLY_NIL) return false;
  }
  return true;
}

Status ReplyErrorStatus(std::string_view error_text) {
  return Status(
      ClassifyErrorText(error_text),
      "server replied " + EscapeBytes(error_text, kMaxErrorTextBytes));
}

Result<Redirect> ParseRedirect(std::string_view error_text,
                               const Endpoint& replied_by) {
  const size_t first_space = error_text.find(' ');
  const size_t second_space = error_text.find(' ', first_space + 1);
  const size_t colon = error_text.rfind(':');
  if (first_space == std::string_view::npos ||
      second_space == std::string_view::npos ||
      colon == std::string_view::npos || colon < second_space) {
    return Status(ErrorCode::kProtocol,
                  "bad redirection: " + EscapeBytes(error_text, 128));
  }
  Redirect redirect;
  redirect.ask = error_text.substr(0, first_space) == "ASK";
  Result<int> slot = ParseNumber(
      error_text.substr(first_space + 1, second_space - first_space - 1),
      16383);
  Result<int> port = ParseNumber(error_text.substr(colon + 1), 65535);
  if (!slot.ok() || !port.ok() || *port == 0) {
    return Status(ErrorCode::kProtocol,
                  "bad redirection: " + EscapeBytes(error_text, 128));
  }
  redirect.slot = static_cast<uint16_t>(*slot);
  const std::string_view host =
      error_text.substr(second_space + 1, colon - second_space - 1);
  redirect.target =
      Endpoint{host.empty() ? replied_by.host : std::string(host), *port};
  return redirect;
}

Result<Reply> ParseReply(std::string_view bytes) {
  std::unique_ptr<redisReader, void (*)(redisReader*)> reader(
      redisReaderCreate(), redisReaderFree);
  if (reader == nullptr) return Status(ErrorCode::kIo, "out of memory");
  if (redisReaderFeed(reader.get(), bytes.data(), bytes.size()) != REDIS_OK) {
    return Status(ErrorCode::kProtocol, "cannot buffer reply bytes");
  }
  void* raw = nullptr;
  if (redisReaderGetReply(reader.get(), &raw) != REDIS_OK) {
    return Status(ErrorCode::kProtocol,
                  std::string("malformed reply: ") + reader->errstr);
  }
  if (raw == nullptr) return Status(ErrorCode::kProtocol, "incomplete reply");
  return Reply(static_cast<redisReply*>(raw));
}

}  // namespace redis_client
}  // namespace tfra

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/status.h"

namespace tfra {
namespace redis_client {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return "ok";
    case ErrorCode::kIo:
      return "io";
    case ErrorCode::kTimeout:
      return "timeout";
    case ErrorCode::kClosed:
      return "closed";
    case ErrorCode::kProtocol:
      return "protocol";
    case ErrorCode::kReplyError:
      return "reply_error";
    case ErrorCode::kMoved:
      return "moved";
    case ErrorCode::kAsk:
      return "ask";
    case ErrorCode::kNoNode:
      return "no_node";
    case ErrorCode::kInvalidArgument:
      return "invalid_argument";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kAuth:
      return "auth";
    case ErrorCode::kOutcomeUnknown:
      return "outcome_unknown";
    case ErrorCode::kNotReplicated:
      return "not_replicated";
  }
  return "unknown";
}

Status::Status(ErrorCode code, std::string message)
    : code_(code), message_(std::move(message)) {}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string text = ErrorCodeName(code_);
  text += ": ";
  text += message_;
  return text;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string text(context);
  text += ": ";
  text += message_;
  return Status(code_, std::move(text));
}

bool Status::IsTransient() const {
  switch (code_) {
    case ErrorCode::kIo:
    case ErrorCode::kTimeout:
    case ErrorCode::kClosed:
    case ErrorCode::kMoved:
    case ErrorCode::kAsk:
    case ErrorCode::kNoNode:
    case ErrorCode::kUnavailable:
      return true;
    default:
      return false;
  }
}

bool Status::IsTransportError() const {
  return code_ == ErrorCode::kIo || code_ == ErrorCode::kTimeout ||
         code_ == ErrorCode::kClosed || code_ == ErrorCode::kProtocol ||
         code_ == ErrorCode::kOutcomeUnknown;
}

void StatusList::Add(const Status& status) {
  if (status.code() == ErrorCode::kAuth) saw_auth_ = true;
  if (!text_.empty()) text_ += "; ";
  text_ += status.ToString();
}

Status StatusList::Combine(const std::string& what) const {
  return Status(saw_auth_ ? ErrorCode::kAuth : ErrorCode::kUnavailable,
                what + (text_.empty() ? "" : " (" + text_ + ")"));
}

}  // namespace redis_client
}  // namespace tfra

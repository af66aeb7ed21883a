#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/client_status.h"

#include <string>

namespace tfra {
namespace redis_table {

Status FromClientStatus(const redis_client::Status& status,
                        std::string_view context) {
  if (status.ok()) return Status::Ok();
  std::string message = std::string(context) + ": " + status.ToString();
  switch (status.code()) {
    case redis_client::ErrorCode::kAuth:
    case redis_client::ErrorCode::kInvalidArgument:
      return FailedPreconditionError(std::move(message));
    case redis_client::ErrorCode::kReplyError:
      return InvalidArgumentError(std::move(message));
    case redis_client::ErrorCode::kProtocol:
      return InternalError(std::move(message));
    case redis_client::ErrorCode::kOutcomeUnknown:
    case redis_client::ErrorCode::kNotReplicated:
      return OutcomeUnknownError(std::move(message));
    default:
      return UnavailableError(std::move(message));
  }
}

}  // namespace redis_table
}  // namespace tfra

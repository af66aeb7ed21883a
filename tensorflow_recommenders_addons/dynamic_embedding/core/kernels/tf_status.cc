#include "tensorflow_recommenders_addons/dynamic_embedding/core/kernels/tf_status.h"

#include "tensorflow/core/platform/errors.h"

namespace tensorflow {
namespace recommenders_addons {

absl::Status ToTfStatus(const tfra::redis_table::Status& status) {
  using tfra::redis_table::StatusCode;
  switch (status.code()) {
    case StatusCode::kOk:
      return absl::OkStatus();
    case StatusCode::kInvalidArgument:
      return errors::InvalidArgument(status.message());
    case StatusCode::kNotFound:
      return errors::NotFound(status.message());
    case StatusCode::kUnavailable:
      return errors::Unavailable(status.message());
    case StatusCode::kFailedPrecondition:
      return errors::FailedPrecondition(status.message());
    case StatusCode::kInternal:
      return errors::Internal(status.message());
    case StatusCode::kCancelled:
      return errors::Cancelled(status.message());
    case StatusCode::kOutcomeUnknown:
      return errors::Unknown(status.message());
  }
  return errors::Unknown(status.message());
}

}  // namespace recommenders_addons
}  // namespace tensorflow

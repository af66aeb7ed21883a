// The single mapping from table-layer statuses to TensorFlow statuses.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_TF_STATUS_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_TF_STATUS_H_

#include "tensorflow/core/platform/status.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_status.h"

namespace tensorflow {
namespace recommenders_addons {

absl::Status ToTfStatus(const tfra::redis_table::Status& status);

}  // namespace recommenders_addons
}  // namespace tensorflow

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_TF_STATUS_H_

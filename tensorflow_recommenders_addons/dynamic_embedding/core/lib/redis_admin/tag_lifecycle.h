// `tfra-redis drop-tag TAG` and `expire-tag TAG SECONDS`: the end of a model
// version. Both act on every table of the tag (buckets and layout records)
// and on the tag's staging tables (an abandoned copy-tag or rename-tag,
// tag_copy.h). Dropping UNLINKs, so Redis frees big buckets in the
// background instead of pausing. TF-free.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_TAG_LIFECYCLE_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_TAG_LIFECYCLE_H_

#include <cstdint>
#include <string>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/admin_progress.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/admin_session.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/json_writer.h"

namespace tfra {
namespace redis_admin {

// Deletes every key of the tag's tables; progress counts keys. Writes
// {"tables": N, "keys": K}. NotFound when the tag holds no table.
Status DropTag(const AdminSession& session, const std::string& model_tag,
               const AdminProgressFn& progress, JsonWriter* out);

// EXPIREs every key of the tag's tables after `seconds` (>= 1), as a
// table's expire_model_tag_in_seconds does when it closes. A table opened
// again before then keeps its rows: opening PERSISTs its buckets. Writes
// {"tables": N, "keys": K, "seconds": S}.
Status ExpireTag(const AdminSession& session, const std::string& model_tag,
                 int64_t seconds, JsonWriter* out);

}  // namespace redis_admin
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_TAG_LIFECYCLE_H_

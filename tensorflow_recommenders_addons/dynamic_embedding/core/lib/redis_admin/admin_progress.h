// Progress of a long tfra-redis command, for the binding to show (c_api.h):
// rows (or keys) done out of an expected total, which is an estimate taken
// when the command starts (tables may change meanwhile). A non-OK return
// stops the command at its next safe point; it then returns that status.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_ADMIN_PROGRESS_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_ADMIN_PROGRESS_H_

#include <cstdint>
#include <functional>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_status.h"

namespace tfra {
namespace redis_admin {

using AdminProgressFn =
    std::function<redis_table::Status(int64_t done, int64_t total)>;

}  // namespace redis_admin
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_ADMIN_PROGRESS_H_

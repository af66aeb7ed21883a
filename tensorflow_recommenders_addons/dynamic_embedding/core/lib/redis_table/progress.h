// Progress of a long operation over a table's rows (re-bucketing, saving or
// loading key/value files), for callers that show it or may stop it: the
// operator's tool draws a progress bar and stops on Ctrl-C.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_PROGRESS_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_PROGRESS_H_

#include <cstdint>
#include <functional>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_status.h"

namespace tfra {
namespace redis_table {

// Called from the operation's thread with the rows handled so far, after
// each batch, at a point where stopping leaves the data consistent. A non-OK
// return stops the operation, which returns that status. An empty function
// is never called.
using ProgressFn = std::function<Status(int64_t rows_done)>;

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_PROGRESS_H_

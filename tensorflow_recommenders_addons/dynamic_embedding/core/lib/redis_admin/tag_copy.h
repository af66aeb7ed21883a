// `tfra-redis copy-tag SRC DST` and `rename-tag SRC DST`: a model version
// as a named copy (or under a new name), made while SRC keeps serving, that
// never looks complete before it is.
//
// Both run in two phases:
//  1. Stage: every table of SRC goes to the staging tag "DST~tfra-staging"
//     (table_catalog.h): copy-tag copies each bucket (HSCAN, then HSET in
//     batches of keys_sending_size rows, so the server never pauses for a
//     whole bucket), rename-tag RENAMEs it. A table's staging layout record
//     is written after its last bucket, so it marks the table as staged.
//  2. Publish: each staged bucket is RENAMEd to its DST name (same hash tag,
//     so the same cluster slot: an O(1) step), then the table's DST record
//     is written and its staging record deleted.
// `tables` shows DST as "publishing" while any staging table of it is left.
// An interrupted run (Ctrl-C, a crash, a lost connection) is finished by
// running the same command again: staged tables are kept, a copy's
// half-staged table is staged again from the start, a rename's goes on
// where it stopped, and publishing picks up the buckets not yet renamed.
// A copy never changes SRC. DST must not hold tables already (drop-tag it).
// TF-free.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_TAG_COPY_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_TAG_COPY_H_

#include <string>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/admin_progress.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/admin_session.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/json_writer.h"

namespace tfra {
namespace redis_admin {

enum class TagCopyMode { kCopy, kRename };

// Progress counts rows staged (copy) or buckets moved (rename). Writes
// {"tables": N, "rows": R, "buckets": B} on success.
Status CopyTag(const AdminSession& session, const std::string& source_tag,
               const std::string& target_tag, TagCopyMode mode,
               const AdminProgressFn& progress, JsonWriter* out);

// InvalidArgument unless `tag` can name a model version: not empty, no
// ':' (it ends the tag in key names), no braces (a brace in a key name
// changes its cluster slot), not a staging tag.
Status CheckModelTag(const std::string& tag);

}  // namespace redis_admin
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_TAG_COPY_H_

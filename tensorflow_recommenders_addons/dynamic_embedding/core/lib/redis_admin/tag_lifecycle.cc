#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/tag_lifecycle.h"

#include <chrono>
#include <functional>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/table_catalog.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/command.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/client_status.h"

namespace tfra {
namespace redis_admin {
namespace {

using redis_client::Command;
using redis_table::FromClientStatus;

// Every key of the tag's tables (and staging tables): buckets and records.
Result<std::vector<std::string>> KeysOfTag(const AdminSession& session,
                                           const std::string& model_tag,
                                           int64_t* tables) {
  if (model_tag.empty()) {
    return redis_table::InvalidArgumentError("a model tag is required");
  }
  auto found = ListTables(session, model_tag);
  if (!found.ok()) return found.status();
  if (found->empty()) {
    return redis_table::NotFoundError("model tag '" + model_tag +
                                      "' holds no tables");
  }
  std::vector<std::string> keys;
  for (const CatalogTable& table : *found) {
    keys.insert(keys.end(), table.bucket_keys.begin(), table.bucket_keys.end());
    if (table.record) keys.push_back(redis_table::LayoutRecordKey(table.prefix));
  }
  *tables = static_cast<int64_t>(found->size());
  return keys;
}

Status ForEachKey(const AdminSession& session,
                  const std::vector<std::string>& keys, const char* what,
                  const std::function<Command(const std::string&)>& build,
                  const AdminProgressFn& progress) {
  int64_t done = 0;
  for (const std::string& key : keys) {
    auto reply =
        session.client->Run(key, build(key), redis_client::Access::kWrite);
    if (!reply.ok()) return FromClientStatus(reply.status(), what);
    TFRA_TABLE_RETURN_IF_ERROR(FromClientStatus(reply->ToStatus(), what));
    ++done;
    if (progress) {
      TFRA_TABLE_RETURN_IF_ERROR(
          progress(done, static_cast<int64_t>(keys.size())));
    }
  }
  return Status::Ok();
}

}  // namespace

Status DropTag(const AdminSession& session, const std::string& model_tag,
               const AdminProgressFn& progress, JsonWriter* out) {
  int64_t tables = 0;
  auto keys = KeysOfTag(session, model_tag, &tables);
  if (!keys.ok()) return keys.status();
  TFRA_TABLE_RETURN_IF_ERROR(ForEachKey(
      session, *keys, "drop-tag",
      [](const std::string& key) { return Command{"UNLINK", key}; },
      progress));
  out->BeginObject()
      .Member("model_tag", model_tag)
      .Member("tables", tables)
      .Member("keys", static_cast<int64_t>(keys->size()))
      .EndObject();
  return Status::Ok();
}

Status ExpireTag(const AdminSession& session, const std::string& model_tag,
                 int64_t seconds, JsonWriter* out) {
  if (seconds < 1) {
    return redis_table::InvalidArgumentError(
        "expire-tag needs SECONDS >= 1 (drop-tag deletes at once)");
  }
  int64_t tables = 0;
  auto keys = KeysOfTag(session, model_tag, &tables);
  if (!keys.ok()) return keys.status();
  TFRA_TABLE_RETURN_IF_ERROR(ForEachKey(
      session, *keys, "expire-tag",
      [&](const std::string& key) {
        return redis_client::Expire(key, std::chrono::seconds(seconds));
      },
      {}));
  out->BeginObject()
      .Member("model_tag", model_tag)
      .Member("tables", tables)
      .Member("keys", static_cast<int64_t>(keys->size()))
      .Member("seconds", seconds)
      .EndObject();
  return Status::Ok();
}

}  // namespace redis_admin
}  // namespace tfra

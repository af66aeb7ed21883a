#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/c_api.h"

#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <map>
#include <string>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/admin_request.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/admin_session.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/sizing.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/table_catalog.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/table_files.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/table_rebucket.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/table_rows.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/tag_copy.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/tag_lifecycle.h"

namespace tfra {
namespace redis_admin {
namespace {

// Everything a command gets.
struct Call {
  const AdminRequest& request;
  const AdminSession& session;
  const AdminProgressFn& progress;
  JsonWriter* out;
};

using Handler = std::function<Status(const Call&)>;

// Members: tag (empty: every tag).
Status Tables(const Call& call) {
  auto tag = call.request.String("tag");
  if (!tag.ok()) return tag.status();
  auto tables = ListTables(call.session, *tag);
  if (!tables.ok()) return tables.status();
  call.out->BeginObject().Key("tables").BeginArray();
  for (CatalogTable& table : *tables) {
    TFRA_TABLE_RETURN_IF_ERROR(MeasureTable(call.session, false, &table));
    WriteTableJson(table, false, call.out);
  }
  call.out->EndArray().EndObject();
  return Status::Ok();
}

// Members: tag (default: the config's model_tag_runtime), table.
// With `must_exist`, NotFound for a table Redis holds nothing of.
Result<TableLocation> Locate(const Call& call, bool must_exist = true) {
  auto tag = call.request.String("tag");
  if (!tag.ok()) return tag.status();
  auto name = call.request.Required("table");
  if (!name.ok()) return name.status();
  auto table = LocateTable(call.session, *tag, *name);
  if (table.ok() && must_exist) {
    TFRA_TABLE_RETURN_IF_ERROR(CheckTableExists(call.session, *table));
  }
  return table;
}

// Members: tag, table, keys.
Status Inspect(const Call& call) {
  auto table = Locate(call);
  if (!table.ok()) return table.status();
  auto keys = call.request.Strings("keys");
  if (!keys.ok()) return keys.status();
  return InspectTable(call.session, *table, *keys, call.out);
}

Result<redis_table::ElementType> ElementTypeMember(const AdminRequest& request,
                                                   const std::string& name) {
  auto text = request.String(name, "float32");
  if (!text.ok()) return text.status();
  redis_table::ElementType type;
  if (!redis_table::ElementTypeFromName(*text, &type)) {
    return redis_table::InvalidArgumentError("unknown dtype '" + *text + "'");
  }
  return type;
}

// Members: rows, dim, dtype, masters, bucket_limit, sample_rows.
Status Plan(const Call& call) {
  PlanRequest plan;
  auto rows = call.request.Int("rows");
  auto dim = call.request.Int("dim");
  auto masters = call.request.Int("masters");
  auto limit = call.request.Int("bucket_limit", kDefaultBucketLimitBytes);
  auto samples = call.request.Int("sample_rows", kDefaultSampleRows);
  auto type = ElementTypeMember(call.request, "dtype");
  for (const Status& status : {rows.status(), dim.status(), masters.status(),
                               limit.status(), samples.status(), type.status()}) {
    TFRA_TABLE_RETURN_IF_ERROR(status);
  }
  plan.rows = *rows;
  plan.dim = *dim;
  plan.masters = static_cast<int>(*masters);
  plan.bucket_limit_bytes = *limit;
  plan.sample_rows = *samples;
  plan.value_type = *type;
  return PlanCapacity(call.session, plan, call.out);
}

// Members: tag (empty: every tag), table (empty: every table), bucket_limit.
Status Hot(const Call& call) {
  auto tag = call.request.String("tag");
  auto name = call.request.String("table");
  auto limit = call.request.Int("bucket_limit", kDefaultBucketLimitBytes);
  for (const Status& status : {tag.status(), name.status(), limit.status()}) {
    TFRA_TABLE_RETURN_IF_ERROR(status);
  }
  std::string model_tag = *tag;
  if (model_tag.empty() && !name->empty()) {
    model_tag = call.session.config.model_tag_runtime;
  }
  return FindHotBuckets(call.session, model_tag, *name, *limit, call.out);
}

Handler TagCopyHandler(TagCopyMode mode) {
  // Members: source, target.
  return [mode](const Call& call) -> Status {
    auto source = call.request.Required("source");
    auto target = call.request.Required("target");
    if (!source.ok()) return source.status();
    if (!target.ok()) return target.status();
    return CopyTag(call.session, *source, *target, mode, call.progress,
                   call.out);
  };
}

// Members: tag.
Status Drop(const Call& call) {
  auto tag = call.request.Required("tag");
  if (!tag.ok()) return tag.status();
  return DropTag(call.session, *tag, call.progress, call.out);
}

// Members: tag, seconds.
Status Expire(const Call& call) {
  auto tag = call.request.Required("tag");
  auto seconds = call.request.Int("seconds");
  if (!tag.ok()) return tag.status();
  if (!seconds.ok()) return seconds.status();
  return ExpireTag(call.session, *tag, *seconds, call.out);
}

// Members: key_dtype, value_dtype, dim: all or none.
Result<std::optional<redis_table::TableSchema>> SchemaMembers(
    const AdminRequest& request) {
  if (!request.Has("key_dtype") && !request.Has("value_dtype") &&
      !request.Has("dim")) {
    return std::optional<redis_table::TableSchema>();
  }
  redis_table::TableSchema schema;
  auto key = request.String("key_dtype");
  if (!key.ok()) return key.status();
  if (!redis_table::KeyKindFromName(*key, &schema.key_kind)) {
    return redis_table::InvalidArgumentError("unknown key dtype '" + *key + "'");
  }
  auto type = ElementTypeMember(request, "value_dtype");
  if (!type.ok()) return type.status();
  schema.value_type = *type;
  auto dim = request.Int("dim");
  if (!dim.ok()) return dim.status();
  if (*dim < 1) return redis_table::InvalidArgumentError("--dim must be >= 1");
  schema.dim = *dim;
  return std::optional<redis_table::TableSchema>(schema);
}

// Members: tag, table, to, key_dtype, using_hash.
Status Rebucket(const Call& call) {
  auto table = Locate(call);
  if (!table.ok()) return table.status();
  auto to = call.request.Int("to");
  auto key = call.request.String("key_dtype");
  auto using_hash = call.request.Bool("using_hash");
  for (const Status& status : {to.status(), key.status(), using_hash.status()}) {
    TFRA_TABLE_RETURN_IF_ERROR(status);
  }
  RebucketRequest request;
  request.storage_slice = *to;
  if (!key->empty()) {
    redis_table::KeyKind kind;
    if (!redis_table::KeyKindFromName(*key, &kind)) {
      return redis_table::InvalidArgumentError("unknown key dtype '" + *key + "'");
    }
    request.key_kind = kind;
  }
  if (call.request.Has("using_hash")) request.using_hash = *using_hash;
  return RebucketTable(call.session, *table, request, call.progress, call.out);
}

// Members: tag, table, dir, file_name, buffer_rows, key_dtype, value_dtype,
// dim.
Handler FileHandler(bool export_rows) {
  return [export_rows](const Call& call) -> Status {
    auto table = Locate(call, /*must_exist=*/export_rows);
    if (!table.ok()) return table.status();
    FileTransfer transfer;
    auto dir = call.request.Required("dir");
    auto name = call.request.String("file_name");
    auto buffer = call.request.Int("buffer_rows", transfer.buffer_rows);
    auto schema = SchemaMembers(call.request);
    for (const Status& status :
         {dir.status(), name.status(), buffer.status(), schema.status()}) {
      TFRA_TABLE_RETURN_IF_ERROR(status);
    }
    transfer.dir = *dir;
    transfer.file_name = *name;
    transfer.buffer_rows = *buffer;
    transfer.schema = *schema;
    return export_rows
               ? ExportTable(call.session, *table, transfer, call.progress,
                             call.out)
               : ImportTable(call.session, *table, transfer, call.progress,
                             call.out);
  };
}

const std::map<std::string, Handler>& Handlers() {
  static const auto* handlers = new std::map<std::string, Handler>{
      {"tables", Tables},
      {"inspect", Inspect},
      {"plan", Plan},
      {"hot", Hot},
      {"copy_tag", TagCopyHandler(TagCopyMode::kCopy)},
      {"rename_tag", TagCopyHandler(TagCopyMode::kRename)},
      {"drop_tag", Drop},
      {"expire_tag", Expire},
      {"rebucket", Rebucket},
      {"export", FileHandler(true)},
      {"import", FileHandler(false)},
  };
  return *handlers;
}

std::string ErrorAnswer(const Status& status) {
  JsonWriter out;
  out.BeginObject()
      .Member("ok", false)
      .Member("code", redis_table::StatusCodeName(status.code()))
      .Member("message", status.message())
      .EndObject();
  return out.text();
}

std::string Run(std::string_view text, tfra_redis_admin_progress_fn progress,
                void* context) {
  auto request = AdminRequest::Parse(text);
  if (!request.ok()) return ErrorAnswer(request.status());
  auto command = request->Required("command");
  if (!command.ok()) return ErrorAnswer(command.status());
  auto handler = Handlers().find(*command);
  if (handler == Handlers().end()) {
    return ErrorAnswer(redis_table::InvalidArgumentError(
        "unknown command '" + *command + "'"));
  }
  auto config = request->String("config");
  auto config_env = request->String("config_env");
  if (!config.ok()) return ErrorAnswer(config.status());
  if (!config_env.ok()) return ErrorAnswer(config_env.status());
  auto session = OpenAdminSession(*config_env, *config,
                                  redis_table::ProcessEnvironment());
  if (!session.ok()) return ErrorAnswer(session.status());
  AdminProgressFn report;
  if (progress != nullptr) {
    report = [progress, context](int64_t done, int64_t total) {
      return progress(context, done, total) == 0
                 ? Status::Ok()
                 : redis_table::CancelledError("interrupted");
    };
  }
  JsonWriter out;
  out.BeginObject()
      .Member("ok", true)
      .Member("config", (*session)->config_path)
      .Member("config_source", (*session)->config_source)
      .Key("warnings")
      .BeginArray();
  for (const std::string& warning : (*session)->warnings) out.String(warning);
  out.EndArray().Key("result");
  const Status status =
      handler->second(Call{*request, **session, report, &out});
  if (!status.ok()) return ErrorAnswer(status);
  out.EndObject();
  return out.text();
}

char* Copy(const std::string& text) {
  char* answer = static_cast<char*>(std::malloc(text.size() + 1));
  if (answer != nullptr) std::memcpy(answer, text.c_str(), text.size() + 1);
  return answer;
}

}  // namespace
}  // namespace redis_admin
}  // namespace tfra

extern "C" {

int tfra_redis_admin_abi_version(void) { return TFRA_REDIS_ADMIN_ABI_VERSION; }

char* tfra_redis_admin_run(const char* request, size_t request_size,
                           tfra_redis_admin_progress_fn progress,
                           void* context) {
  namespace admin = tfra::redis_admin;
  try {
    return admin::Copy(admin::Run(std::string_view(request, request_size),
                                  progress, context));
  } catch (const std::exception& e) {
    // Nothing may unwind into the caller (ctypes): a C++ exception (out of
    // memory) becomes an answer.
    return admin::Copy(admin::ErrorAnswer(tfra::redis_table::InternalError(
        std::string("tfra-redis: ") + e.what())));
  }
}

void tfra_redis_admin_free(char* answer) { std::free(answer); }

}  // extern "C"

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/value_encoding_record.h"

#include <optional>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/bucket_migration.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/layout_record.h"

namespace tfra {
namespace redis_table {
namespace {

// `side` is "" (the table's own rows) or names the import side.
Status Mismatch(const RedisTableStore& store, const std::string& stored_as,
                const std::string& side, RowEncoding wanted) {
  const std::string rows = side.empty() ? "rows" : side + " rows";
  return FailedPreconditionError(
      store.settings().table_description + ": its " + rows +
      " are stored with redis_value_encoding \"" + stored_as +
      "\", but the config says \"" + std::string(RowEncodingName(wanted)) +
      "\"; open it with \"" + stored_as +
      "\" (a table's encoding cannot change in place: export its rows and "
      "insert them into a table of the new encoding)");
}

// A model-tag import copies rows only into an empty runtime table; they
// must be of the runtime encoding.
Status CheckImportSide(const RedisTableStore& store,
                       const TableKeyLayout& layout, RowEncoding encoding) {
  if (layout.import_prefix() == layout.runtime_prefix()) return Status::Ok();
  auto recorded = ReadValueEncoding(store.client(),
                                    LayoutRecordKey(layout.import_prefix()));
  if (!recorded.ok()) return recorded.status();
  const std::string import_encoding =
      recorded->value_or(std::string(RowEncodingName(RowEncoding::kRaw)));
  if (import_encoding == RowEncodingName(encoding)) return Status::Ok();
  auto runtime_has_rows = AnyExists(store, layout.runtime_buckets());
  if (!runtime_has_rows.ok()) return runtime_has_rows.status();
  if (*runtime_has_rows) return Status::Ok();  // nothing will be copied
  auto import_has_rows = AnyExists(store, layout.import_buckets());
  if (!import_has_rows.ok()) return import_has_rows.status();
  if (!*import_has_rows) return Status::Ok();
  return Mismatch(store, import_encoding, "import (model_tag_import)",
                  encoding);
}

}  // namespace

Status CheckValueEncoding(const RedisTableStore& store,
                          const TableKeyLayout& layout, RowEncoding encoding) {
  const std::string record_key = LayoutRecordKey(layout.runtime_prefix());
  auto recorded = ReadValueEncoding(store.client(), record_key);
  if (!recorded.ok()) return recorded.status();
  const std::string name(RowEncodingName(encoding));
  const std::string stored_as = recorded->value_or(
      std::string(RowEncodingName(RowEncoding::kRaw)));
  if (stored_as != name) {
    // Rows of another encoding would be misread; a table without rows takes
    // its config's encoding.
    auto has_rows = AnyExists(store, layout.runtime_buckets());
    if (!has_rows.ok()) return has_rows.status();
    if (*has_rows) return Mismatch(store, stored_as, "", encoding);
  }
  TFRA_TABLE_RETURN_IF_ERROR(CheckImportSide(store, layout, encoding));
  // Raw is recorded by the field's absence, so raw tables stay as TFRA 0.8
  // and earlier versions of this package left them.
  const bool up_to_date = encoding == RowEncoding::kRaw
                              ? !recorded->has_value()
                              : stored_as == name;
  if (up_to_date) return Status::Ok();
  return WriteValueEncoding(store.client(), record_key,
                            RecordedName(encoding));
}

std::optional<std::string> RecordedName(RowEncoding encoding) {
  if (encoding == RowEncoding::kRaw) return std::nullopt;
  return std::string(RowEncodingName(encoding));
}

Result<RowEncoding> RecordedRowEncoding(
    const std::optional<std::string>& recorded) {
  RowEncoding encoding = RowEncoding::kRaw;
  if (recorded && !RowEncodingFromName(*recorded, &encoding)) {
    return FailedPreconditionError(
        "the layout record says value_encoding \"" + *recorded +
        "\", which this version does not know (it knows " +
        std::string(RowEncodingNames()) + ")");
  }
  return encoding;
}

Result<RowEncoding> ConfiguredRowEncoding(std::string_view name,
                                          ElementType value_type,
                                          std::string_view table_name) {
  RowEncoding encoding = RowEncoding::kRaw;
  if (!RowEncodingFromName(name, &encoding)) {
    return InvalidArgumentError("unknown redis_value_encoding \"" +
                                std::string(name) + "\"");
  }
  if (encoding != RowEncoding::kRaw && value_type != ElementType::kFloat32) {
    return InvalidArgumentError(
        "redis_value_encoding \"" + std::string(name) +
        "\" applies to float32 values only; table '" + std::string(table_name) +
        "' holds " + std::string(ElementTypeName(value_type)) +
        " values (use \"raw\")");
  }
  return encoding;
}

}  // namespace redis_table
}  // namespace tfra

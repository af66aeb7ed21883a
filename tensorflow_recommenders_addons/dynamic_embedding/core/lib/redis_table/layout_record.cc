#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/layout_record.h"

#include <cstdlib>
#include <map>
#include <utility>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/client_status.h"

namespace tfra {
namespace redis_table {
namespace {

using redis_client::Access;
using redis_client::Command;

constexpr std::string_view kUsingHashPrefix = "using_hash_storage_slice=";
constexpr char kModelTagField[] = "model_tag";
constexpr char kEmbeddingNameField[] = "embedding_name";
constexpr char kKeyDtypeField[] = "key_dtype";
constexpr char kValueDtypeField[] = "value_dtype";
constexpr char kDimField[] = "dim";

Result<redis_client::Reply> RunOnRecord(redis_client::RedisClient& client,
                                        const std::string& key,
                                        const Command& command) {
  auto reply = client.Run(key, command, Access::kWrite);
  if (!reply.ok()) return FromClientStatus(reply.status(), "layout record");
  TFRA_TABLE_RETURN_IF_ERROR(
      FromClientStatus(reply->ToStatus(), "layout record"));
  return std::move(reply).value();
}

using Fields = std::vector<std::pair<const char*, std::string>>;

Fields SchemaFields(const TableSchema& schema) {
  return {{kKeyDtypeField, std::string(KeyKindName(schema.key_kind))},
          {kValueDtypeField, std::string(ElementTypeName(schema.value_type))},
          {kDimField, std::to_string(schema.dim)}};
}

Fields IdentityFields(const TableIdentity& identity) {
  Fields fields = {{kModelTagField, identity.model_tag},
                   {kEmbeddingNameField, identity.embedding_name}};
  for (auto& field : SchemaFields(identity.schema)) {
    fields.push_back(std::move(field));
  }
  return fields;
}

Status WriteFields(redis_client::RedisClient& client, const std::string& key,
                   const Fields& fields) {
  if (fields.empty()) return Status::Ok();
  std::vector<std::string_view> names, values;
  for (const auto& [name, value] : fields) {
    names.push_back(name);
    values.push_back(value);
  }
  return RunOnRecord(client, key, redis_client::Hset(key, names, values))
      .status();
}

std::optional<TableSchema> SchemaOf(const std::string* key_dtype,
                                    const std::string* value_dtype,
                                    const std::string* dim) {
  if (key_dtype == nullptr || value_dtype == nullptr || dim == nullptr) {
    return std::nullopt;
  }
  TableSchema schema;
  char* end = nullptr;
  schema.dim = std::strtoll(dim->c_str(), &end, 10);
  if (!KeyKindFromName(*key_dtype, &schema.key_kind) ||
      !ElementTypeFromName(*value_dtype, &schema.value_type) || dim->empty() ||
      *end != '\0' || schema.dim < 0) {
    return std::nullopt;
  }
  return schema;
}

}  // namespace

std::string LayoutRecordKey(std::string_view prefix) {
  return std::string(prefix) + "{tfra_layout}";
}

std::string LayoutSignature(const std::vector<std::string>& bucket_keys,
                            bool using_hash) {
  std::string signature(kUsingHashPrefix);
  signature += using_hash ? "1" : "0";
  for (const std::string& bucket : bucket_keys) {
    signature += "\n" + bucket;
  }
  return signature;
}

Result<RecordedLayout> ParseLayoutSignature(std::string_view signature,
                                            std::string_view prefix) {
  auto malformed = [&](const char* what) {
    return InvalidArgumentError(std::string("malformed layout record: ") +
                                what);
  };
  if (signature.substr(0, kUsingHashPrefix.size()) != kUsingHashPrefix ||
      signature.size() < kUsingHashPrefix.size() + 1) {
    return malformed("no using_hash_storage_slice");
  }
  RecordedLayout layout;
  const char flag = signature[kUsingHashPrefix.size()];
  if (flag != '0' && flag != '1') return malformed("bad using_hash flag");
  layout.using_hash = flag == '1';
  std::string_view rest = signature.substr(kUsingHashPrefix.size() + 1);
  // Each bucket: "\n" + prefix + "{" + tag without braces + "}".
  while (!rest.empty()) {
    if (rest.size() < prefix.size() + 3 || rest[0] != '\n' ||
        rest.substr(1, prefix.size()) != prefix ||
        rest[prefix.size() + 1] != '{') {
      return malformed("a bucket key does not start with the table's prefix");
    }
    const size_t close = rest.find('}', prefix.size() + 2);
    if (close == std::string_view::npos) return malformed("unclosed hash tag");
    layout.bucket_keys.emplace_back(rest.substr(1, close));
    rest.remove_prefix(close + 1);
  }
  return layout;
}

Result<std::optional<LayoutRecord>> ReadLayoutRecord(
    redis_client::RedisClient& client, const std::string& record_key) {
  auto reply = RunOnRecord(client, record_key, Command{"HGETALL", record_key});
  if (!reply.ok()) return reply.status();
  auto size = reply->ArraySize();
  if (!size.ok()) return FromClientStatus(size.status(), "layout record");
  if (*size == 0) return std::optional<LayoutRecord>();
  std::map<std::string, std::string> fields;
  for (size_t i = 0; i + 1 < *size; i += 2) {
    fields[std::string(reply->element(i).text())] =
        std::string(reply->element(i + 1).text());
  }
  auto field = [&](const char* name) -> const std::string* {
    auto it = fields.find(name);
    return it == fields.end() ? nullptr : &it->second;
  };
  auto optional = [&](const char* name) {
    const std::string* value = field(name);
    return value ? std::optional<std::string>(*value) : std::nullopt;
  };
  LayoutRecord record;
  record.signature = optional(kLayoutSignatureField);
  record.model_tag = optional(kModelTagField);
  record.embedding_name = optional(kEmbeddingNameField);
  record.schema = SchemaOf(field(kKeyDtypeField), field(kValueDtypeField),
                           field(kDimField));
  record.value_encoding = optional(kValueEncodingField);
  return std::optional<LayoutRecord>(std::move(record));
}

Status RecordTableIdentity(redis_client::RedisClient& client,
                           const std::string& record_key,
                           const TableIdentity& identity) {
  const Fields wanted = IdentityFields(identity);
  Command read{"HMGET", record_key};
  for (const auto& field : wanted) read.Add(field.first);
  auto stored = RunOnRecord(client, record_key, read);
  if (!stored.ok()) return stored.status();
  auto size = stored->ArraySize();
  if (!size.ok() || *size != wanted.size()) {
    return InternalError("layout record: HMGET returned a malformed reply");
  }
  Fields differing;
  for (size_t i = 0; i < wanted.size(); ++i) {
    const redis_client::ReplyView element = stored->element(i);
    if (element.is_nil() || element.text() != wanted[i].second) {
      differing.push_back(wanted[i]);
    }
  }
  return WriteFields(client, record_key, differing);
}

Status WriteLayoutRecord(redis_client::RedisClient& client,
                         const std::string& record_key,
                         const LayoutRecord& record) {
  Fields fields;
  if (record.signature) {
    fields.emplace_back(kLayoutSignatureField, *record.signature);
  }
  if (record.model_tag) fields.emplace_back(kModelTagField, *record.model_tag);
  if (record.embedding_name) {
    fields.emplace_back(kEmbeddingNameField, *record.embedding_name);
  }
  if (record.schema) {
    for (auto& field : SchemaFields(*record.schema)) {
      fields.push_back(std::move(field));
    }
  }
  if (record.value_encoding) {
    fields.emplace_back(kValueEncodingField, *record.value_encoding);
  }
  return WriteFields(client, record_key, fields);
}

Result<std::optional<std::string>> ReadValueEncoding(
    redis_client::RedisClient& client, const std::string& record_key) {
  auto reply = RunOnRecord(client, record_key,
                           Command{"HGET", record_key, kValueEncodingField});
  if (!reply.ok()) return reply.status();
  if (reply->is_nil()) return std::optional<std::string>();
  return std::optional<std::string>(std::string(reply->text()));
}

Status WriteValueEncoding(redis_client::RedisClient& client,
                          const std::string& record_key,
                          const std::optional<std::string>& name) {
  const Command update =
      name ? Command{"HSET", record_key, kValueEncodingField, *name}
           : Command{"HDEL", record_key, kValueEncodingField};
  return RunOnRecord(client, record_key, update).status();
}

}  // namespace redis_table
}  // namespace tfra

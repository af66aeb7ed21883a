#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_config.h"

#include <json-parser/json.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_config_json.h"

namespace tfra {
namespace redis_table {
namespace {

using C = RedisTableConfig;
using redis_client::Mode;

constexpr std::pair<int32_t, Mode> kModeIntegers[] = {
    {0, Mode::kCluster}, {1, Mode::kSentinel}, {2, Mode::kStandalone}};
constexpr std::pair<int32_t, TableStoreMode> kStoreModeIntegers[] = {
    {0, TableStoreMode::kCheckpointTensors},
    {1, TableStoreMode::kDumpFiles},
    {2, TableStoreMode::kNothing}};

template <class E, size_t N>
int32_t IntegerIn(const std::pair<int32_t, E> (&table)[N], E value) {
  for (const auto& [json, mapped] : table) {
    if (mapped == value) return json;
  }
  return -1;
}

template <class E, size_t N>
bool ValueIn(const std::pair<int32_t, E> (&table)[N], int64_t json, E* out) {
  for (const auto& [integer, mapped] : table) {
    if (integer == json) {
      *out = mapped;
      return true;
    }
  }
  return false;
}

constexpr int64_t kInt32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kMaxSlices = 16384;  // one bucket per cluster slot at most
constexpr int64_t kNone = 0;           // range columns of non-integer keys

std::vector<ConfigField> BuildFields() {
  return {
      {"redis_connection_mode", &C::redis_connection_mode, "", 0, 2,
       "0 Cluster, 1 Sentinel, 2 Standalone."},
      {"redis_master_name", &C::redis_master_name, "", kNone, kNone,
       "Sentinel master set name."},
      {"redis_host_ip", &C::redis_host_ip, "", kNone, kNone,
       "Hosts: sentinels (Sentinel), the server (Standalone, first entry), "
       "seed nodes (Cluster). Pairs with redis_host_port by index."},
      {"redis_host_port", &C::redis_host_port, "", 1, 65535,
       "Ports, same length as redis_host_ip."},
      {"redis_user", &C::redis_user, "", kNone, kNone,
       "ACL user of data connections."},
      {"redis_password", &C::redis_password, "", kNone, kNone,
       "Password of data connections; empty means no AUTH."},
      {"redis_db", &C::redis_db, "", 0, kInt32Max, "Database index."},
      {"redis_read_access_slave", &C::redis_read_access_slave, "", kNone, kNone,
       "Read from replicas (Sentinel, Cluster)."},
      {"redis_connect_keep_alive", &C::redis_connect_keep_alive, "", kNone,
       kNone, "TCP keepalive on connections."},
      {"redis_connect_timeout", &C::redis_connect_timeout, "ms", 0, kInt32Max,
       "Connect timeout."},
      {"redis_socket_timeout", &C::redis_socket_timeout, "ms", 0, kInt32Max,
       "Per-request socket timeout."},
      {"redis_conn_pool_size", &C::redis_conn_pool_size, "", 1, kInt32Max,
       "Connections per pool."},
      {"redis_wait_timeout", &C::redis_wait_timeout, "ms", 0, kInt32Max,
       "Longest wait for a free pooled connection."},
      {"redis_connection_lifetime", &C::redis_connection_lifetime, "min", 0,
       kInt32Max, "Age after which a pooled connection is recycled."},
      {"redis_sentinel_user", &C::redis_sentinel_user, "", kNone, kNone,
       "Accepted for compatibility; unused (as upstream)."},
      {"redis_sentinel_password", &C::redis_sentinel_password, "", kNone,
       kNone, "Password of sentinel connections."},
      {"redis_sentinel_connect_timeout", &C::redis_sentinel_connect_timeout,
       "ms", 0, kInt32Max, "Sentinel connect timeout."},
      {"redis_sentinel_socket_timeout", &C::redis_sentinel_socket_timeout,
       "ms", 0, kInt32Max, "Sentinel socket timeout."},
      {"storage_slice_import", &C::storage_slice_import, "", kInt32Min,
       kMaxSlices, "Buckets of the import table; <= 0 means storage_slice."},
      {"storage_slice", &C::storage_slice, "", 1, kMaxSlices,
       "Buckets (Redis hashes) per table."},
      {"using_hash_storage_slice", &C::using_hash_storage_slice, "", kNone,
       kNone, "Cluster, numeric keys: bucket by CRC-32C instead of remainder."},
      {"keys_sending_size", &C::keys_sending_size, "", 1, kInt64Max,
       "Keys per Redis command (batch size hint)."},
      {"using_md5_prefix_name", &C::using_md5_prefix_name, "", kNone, kNone,
       "Key prefix = 16 raw bytes of upstream's MD5 of <model_tag>:<name>."},
      {"redis_hash_tags_hypodispersion", &C::redis_hash_tags_hypodispersion,
       "", kNone, kNone, "Cluster: ignore the topology when choosing tags."},
      {"model_tag_import", &C::model_tag_import, "", kNone, kNone,
       "Model tag to import (read) from."},
      {"redis_hash_tags_import", &C::redis_hash_tags_import, "", kNone, kNone,
       "Explicit bucket hash tags of the import table; empty or one per "
       "bucket."},
      {"model_tag_runtime", &C::model_tag_runtime, "", kNone, kNone,
       "Model tag of the live table."},
      {"redis_hash_tags_runtime", &C::redis_hash_tags_runtime, "", kNone,
       kNone, "Explicit bucket hash tags; empty or one per bucket."},
      {"expire_model_tag_in_seconds", &C::expire_model_tag_in_seconds, "s",
       kInt64Min, kInt64Max,
       "TTL set on the buckets when the table is destroyed; < 0 disables, "
       "0 deletes."},
      {"table_store_mode", &C::table_store_mode, "", 0, 2,
       "0 checkpoint tensors, 1 DUMP files in model_lib_abs_dir, 2 nothing."},
      {"model_lib_abs_dir", &C::model_lib_abs_dir, "", kNone, kNone,
       "Directory of DUMP files (table_store_mode 1)."},
      {"redis_read_failure_policy", &C::redis_read_failure_policy, "", kNone,
       kNone,
       "Ours: \"error\" fails a lookup Redis cannot answer; "
       "\"default_values\" returns the defaults and counts the rows."},
      {"redis_write_replicas", &C::redis_write_replicas, "", 0, kInt32Max,
       "Ours: replicas that must acknowledge each write batch (WAIT); 0 off."},
      {"redis_write_replicas_timeout", &C::redis_write_replicas_timeout, "ms",
       1, kInt32Max,
       "Ours: longest wait for redis_write_replicas acknowledgements."},
      {"redis_circuit_breaker_failures", &C::redis_circuit_breaker_failures,
       "", 0, kInt32Max,
       "Ours: calls failing in a row that open the circuit breaker; 0 off."},
      {"redis_circuit_breaker_cooldown", &C::redis_circuit_breaker_cooldown,
       "ms", 1, kInt32Max,
       "Ours: how long an open circuit fails calls before one probes."},
      {"redis_tls", &C::redis_tls, "", kNone, kNone,
       "Ours: TLS on every Redis and Sentinel connection."},
      {"redis_tls_ca_file", &C::redis_tls_ca_file, "", kNone, kNone,
       "Ours: PEM CA certificates that verify servers; empty: the system's."},
      {"redis_tls_cert_file", &C::redis_tls_cert_file, "", kNone, kNone,
       "Ours: PEM client certificate (with redis_tls_key_file)."},
      {"redis_tls_key_file", &C::redis_tls_key_file, "", kNone, kNone,
       "Ours: PEM private key of redis_tls_cert_file."},
      {"redis_tls_server_name", &C::redis_tls_server_name, "", kNone, kNone,
       "Ours: name server certificates must carry; empty: each host."},
      {"redis_value_encoding", &C::redis_value_encoding, "", kNone, kNone,
       "Ours: how float32 rows are stored: raw, float16, bfloat16 or int8."},
      {"redis_read_cache_bytes", &C::redis_read_cache_bytes, "bytes", 0,
       kInt64Max,
       "Ours: bound of the process's cache of looked-up rows; 0 means no "
       "cache."},
      {"redis_read_cache_staleness_ms", &C::redis_read_cache_staleness_ms,
       "ms", 1, kInt32Max,
       "Ours: longest time a cached row is served after it was read."},
  };
}

// Overload set for std::visit.
template <typename... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <typename... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

std::string JsonQuote(std::string_view text) {
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') quoted.push_back('\\');
    quoted.push_back(c);
  }
  return quoted + "\"";
}

template <typename T>
std::string JoinJsonArray(const std::vector<T>& items) {
  std::string text = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) text += ", ";
    if constexpr (std::is_same_v<T, std::string>) {
      text += JsonQuote(items[i]);
    } else {
      text += std::to_string(items[i]);
    }
  }
  return text + "]";
}

}  // namespace

int32_t JsonIntegerOf(Mode mode) { return IntegerIn(kModeIntegers, mode); }

int32_t JsonIntegerOf(TableStoreMode mode) {
  return IntegerIn(kStoreModeIntegers, mode);
}

bool FromJsonInteger(int64_t json, Mode* mode) {
  return ValueIn(kModeIntegers, json, mode);
}

bool FromJsonInteger(int64_t json, TableStoreMode* mode) {
  return ValueIn(kStoreModeIntegers, json, mode);
}

std::string_view ConfigField::json_type() const {
  return std::visit(
      Overloaded{
          [](bool C::*) { return std::string_view("boolean"); },
          [](std::string C::*) { return std::string_view("string"); },
          [](std::vector<std::string> C::*) {
            return std::string_view("string array");
          },
          [](std::vector<int32_t> C::*) {
            return std::string_view("integer array");
          },
          [](auto) { return std::string_view("integer"); },
      },
      member);
}

std::string ConfigField::default_text() const {
  static const C kDefaults;
  return std::visit(
      Overloaded{
          [](bool C::*m) {
            return std::string(kDefaults.*m ? "true" : "false");
          },
          [](std::string C::*m) { return JsonQuote(kDefaults.*m); },
          [](std::vector<std::string> C::*m) {
            return JoinJsonArray(kDefaults.*m);
          },
          [](std::vector<int32_t> C::*m) {
            return JoinJsonArray(kDefaults.*m);
          },
          [](Mode C::*m) {
            return std::to_string(JsonIntegerOf(kDefaults.*m));
          },
          [](TableStoreMode C::*m) {
            return std::to_string(JsonIntegerOf(kDefaults.*m));
          },
          [](auto m) { return std::to_string(kDefaults.*m); },
      },
      member);
}

const std::vector<ConfigField>& ConfigFields() {
  static const std::vector<ConfigField> kFields = BuildFields();
  return kFields;
}

namespace {

struct JsonValueDeleter {
  void operator()(json_value* value) const { json_value_free(value); }
};
using JsonValuePtr = std::unique_ptr<json_value, JsonValueDeleter>;

Status TypeError(const ConfigField& field) {
  return InvalidArgumentError(std::string(field.name) + " should be json " +
                              std::string(field.json_type()));
}

// An integer within the field's range; floats (1.0) and literals too large
// for int64 (which json-parser turns into doubles) are type errors.
Status ReadInteger(const ConfigField& field, const json_value& value,
                   int64_t* out) {
  if (value.type != json_integer) return TypeError(field);
  TFRA_TABLE_RETURN_IF_ERROR(CheckConfigFieldRange(field, value.u.integer));
  *out = value.u.integer;
  return Status::Ok();
}

std::string ReadString(const json_value& value) {
  return std::string(value.u.string.ptr, value.u.string.length);
}

Status ReadStringArray(const ConfigField& field, const json_value& value,
                       std::vector<std::string>* out) {
  if (value.type != json_array) return TypeError(field);
  std::vector<std::string> items;
  for (const json_value* item : value.u.array) {
    if (item->type != json_string) return TypeError(field);
    items.push_back(ReadString(*item));
  }
  *out = std::move(items);
  return Status::Ok();
}

Status ReadIntegerArray(const ConfigField& field, const json_value& value,
                        std::vector<int32_t>* out) {
  if (value.type != json_array) return TypeError(field);
  std::vector<int32_t> items;
  for (const json_value* item : value.u.array) {
    int64_t number = 0;
    TFRA_TABLE_RETURN_IF_ERROR(ReadInteger(field, *item, &number));
    items.push_back(static_cast<int32_t>(number));
  }
  *out = std::move(items);
  return Status::Ok();
}

// An enum member: the value its JSON integer names.
template <class E>
Status ReadEnum(const ConfigField& field, const json_value& value, E* out) {
  int64_t number = 0;
  TFRA_TABLE_RETURN_IF_ERROR(ReadInteger(field, value, &number));
  if (!FromJsonInteger(number, out)) {
    return InvalidArgumentError(std::string(field.name) + " has no value " +
                                std::to_string(number));
  }
  return Status::Ok();
}

// Stores `value` into the member `field` names. Integer members rely on the
// field's range to fit their type (checked by the field-table test); enum
// members map their JSON integers explicitly (FromJsonInteger).
Status AssignField(const ConfigField& field, const json_value& value,
                   C* config) {
  return std::visit(
      Overloaded{
          [&](bool C::*m) {
            if (value.type != json_boolean) return TypeError(field);
            config->*m = value.u.boolean != 0;
            return Status::Ok();
          },
          [&](std::string C::*m) {
            if (value.type != json_string) return TypeError(field);
            config->*m = ReadString(value);
            return Status::Ok();
          },
          [&](std::vector<std::string> C::*m) {
            return ReadStringArray(field, value, &(config->*m));
          },
          [&](std::vector<int32_t> C::*m) {
            return ReadIntegerArray(field, value, &(config->*m));
          },
          [&](Mode C::*m) { return ReadEnum(field, value, &(config->*m)); },
          [&](TableStoreMode C::*m) {
            return ReadEnum(field, value, &(config->*m));
          },
          [&](auto m) {
            int64_t number = 0;
            TFRA_TABLE_RETURN_IF_ERROR(ReadInteger(field, value, &number));
            using Member = std::remove_reference_t<decltype(config->*m)>;
            config->*m = static_cast<Member>(number);
            return Status::Ok();
          },
      },
      field.member);
}

std::string_view EntryName(const json_object_entry& entry) {
  return std::string_view(entry.name, entry.name_length);
}

// Applies every known key (its last occurrence, as upstream's map does) and
// collects the unknown ones, each once, in order of appearance.
Status ApplyObject(const json_value& root, C* config,
                   std::vector<std::string>* unknown) {
  for (const ConfigField& field : ConfigFields()) {
    const json_value* last = nullptr;
    for (const json_object_entry& entry : root.u.object) {
      if (EntryName(entry) == field.name) last = entry.value;
    }
    if (last != nullptr) {
      TFRA_TABLE_RETURN_IF_ERROR(AssignField(field, *last, config));
    }
  }
  for (const json_object_entry& entry : root.u.object) {
    bool known = false;
    for (const ConfigField& field : ConfigFields()) {
      known = known || EntryName(entry) == field.name;
    }
    const std::string name(EntryName(entry));
    bool seen = false;
    for (const std::string& other : *unknown) seen = seen || other == name;
    if (!known && !seen) unknown->push_back(name);
  }
  return Status::Ok();
}

// Edits (insert, delete, substitute, swap two neighbours) from `a` to `b`,
// ignoring case; the optimal string alignment distance.
size_t EditDistance(std::string_view a, std::string_view b) {
  auto lower = [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  };
  std::vector<std::vector<size_t>> d(a.size() + 1,
                                     std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1,
                          d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// " (did you mean storage_slice?)" when one known key is close to `name`:
// one edit away, or two for names of 10 bytes and more.
std::string Suggestion(std::string_view name) {
  const size_t allowed = name.size() >= 10 ? 2 : 1;
  const ConfigField* best = nullptr;
  size_t best_distance = allowed + 1;
  for (const ConfigField& field : ConfigFields()) {
    // Lengths differing by more than `allowed` cannot be close enough.
    if (field.name.size() + allowed < name.size() ||
        name.size() + allowed < field.name.size()) {
      continue;
    }
    const size_t distance = EditDistance(name, field.name);
    if (distance < best_distance) {
      best = &field;
      best_distance = distance;
    }
  }
  if (best == nullptr) return "";
  return " (did you mean " + std::string(best->name) + "?)";
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string joined;
  for (const std::string& name : names) {
    if (!joined.empty()) joined += ", ";
    joined += QuoteForMessage(name) + Suggestion(name);
  }
  return joined;
}

}  // namespace

Status ParseRedisTableConfig(std::string_view json_text, RedisTableConfig* out,
                             std::vector<std::string>* warnings) {
  // json-parser places every error at column 0, so the text is checked
  // first by a scanner that says where and why.
  if (std::optional<JsonSyntaxError> syntax = FindJsonSyntaxError(json_text)) {
    return InvalidArgumentError("Redis config is not valid JSON: " +
                                syntax->ToString());
  }
  json_settings settings;
  std::memset(&settings, 0, sizeof(settings));  // strict: no comments
  char error[json_error_max] = {0};
  const JsonValuePtr root(
      json_parse_ex(&settings, json_text.data(), json_text.size(), error));
  if (root == nullptr) {  // Out of memory, or the scanner missed something.
    return InvalidArgumentError("Redis config is not valid JSON: " +
                                QuoteForMessage(error));
  }
  if (root->type != json_object) {
    return InvalidArgumentError(
        "Redis config must be a JSON object at the top level");
  }
  RedisTableConfig config;
  std::vector<std::string> unknown;
  TFRA_TABLE_RETURN_IF_ERROR(ApplyObject(*root, &config, &unknown));
  for (const json_object_entry& entry : root->u.object) {
    if (EntryName(entry) == "redis_connection_mode") {
      config.redis_connection_mode_given = true;
    }
  }
  std::vector<std::string> found;
  if (!unknown.empty()) {
    found.push_back("Redis config: ignoring unknown keys " +
                    JoinNames(unknown));
  }
  TFRA_TABLE_RETURN_IF_ERROR(ValidateRedisTableConfig(config, &found));
  *out = std::move(config);
  if (warnings != nullptr) {
    warnings->insert(warnings->end(), found.begin(), found.end());
  }
  return Status::Ok();
}

}  // namespace redis_table
}  // namespace tfra

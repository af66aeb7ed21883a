// ValidateRedisTableConfig: the range checks of the field table applied to a
// whole config, plus the rules that involve more than one key. Part of the
// redis_table_config library (kept apart only to keep files short).
#include <cctype>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_config.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_config_json.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/row_encoding.h"

namespace tfra {
namespace redis_table {
namespace {

using C = RedisTableConfig;

// The values of an integer-typed member (enums as their JSON integer, arrays
// element by element); empty for other members.
std::vector<int64_t> IntegerValues(const C& config, const ConfigMember& m) {
  return std::visit(
      [&](auto member) -> std::vector<int64_t> {
        using Member = std::decay_t<decltype(config.*member)>;
        if constexpr (std::is_same_v<Member, std::vector<int32_t>>) {
          return std::vector<int64_t>((config.*member).begin(),
                                      (config.*member).end());
        } else if constexpr (std::is_enum_v<Member>) {
          return {JsonIntegerOf(config.*member)};
        } else if constexpr (std::is_integral_v<Member> &&
                             !std::is_same_v<Member, bool>) {
          return {static_cast<int64_t>(config.*member)};
        } else {
          return {};
        }
      },
      m);
}

Status CheckFieldRanges(const C& config) {
  for (const ConfigField& field : ConfigFields()) {
    for (int64_t value : IntegerValues(config, field.member)) {
      TFRA_TABLE_RETURN_IF_ERROR(CheckConfigFieldRange(field, value));
    }
  }
  return Status::Ok();
}

Status CheckHosts(const C& config) {
  if (config.redis_host_ip.empty() ||
      config.redis_host_ip.size() != config.redis_host_port.size()) {
    return InvalidArgumentError(
        "redis_host_ip and redis_host_port must have the same non-zero "
        "length, got " +
        std::to_string(config.redis_host_ip.size()) + " and " +
        std::to_string(config.redis_host_port.size()));
  }
  for (size_t i = 0; i < config.redis_host_ip.size(); ++i) {
    if (config.redis_host_ip[i].empty()) {
      return InvalidArgumentError("redis_host_ip[" + std::to_string(i) +
                                  "] is empty");
    }
  }
  return Status::Ok();
}

// Explicit tags are used only when there is one per bucket (upstream silently
// ignores other counts; we refuse them). Braces are added when missing, so
// the content is what lies between them.
Status CheckHashTags(std::string_view key, const std::vector<std::string>& tags,
                     std::string_view slice_key, int32_t slices,
                     std::vector<std::string>* warnings) {
  if (!tags.empty() && tags.size() != static_cast<size_t>(slices)) {
    return InvalidArgumentError(
        std::string(key) + " has " + std::to_string(tags.size()) +
        " tags but " + std::string(slice_key) + " is " +
        std::to_string(slices) + "; give one tag per bucket or none");
  }
  for (size_t i = 0; i < tags.size(); ++i) {
    std::string_view content = tags[i];
    if (!content.empty() && content.front() == '{') content.remove_prefix(1);
    if (!content.empty() && content.back() == '}') content.remove_suffix(1);
    const std::string where = std::string(key) + "[" + std::to_string(i) + "]";
    if (content.empty()) return InvalidArgumentError(where + " is empty");
    if (content.find_first_of("{}") != std::string_view::npos) {
      return InvalidArgumentError(where + " " + QuoteForMessage(tags[i]) +
                                  " has a brace inside the tag");
    }
    if (warnings != nullptr &&
        !std::isdigit(static_cast<unsigned char>(content.front()))) {
      warnings->push_back(
          where + " " + QuoteForMessage(tags[i]) +
          " does not start with a digit: bucket discovery (PERSIST at "
          "start, EXPIRE at shutdown, re-bucketing) will not find it");
    }
  }
  return Status::Ok();
}

Status CheckReliabilityKeys(const C& config) {
  if (config.redis_read_failure_policy != C::kReadFailureError &&
      config.redis_read_failure_policy != C::kReadFailureDefaultValues) {
    return InvalidArgumentError(
        "redis_read_failure_policy must be \"error\" or \"default_values\", "
        "got " + QuoteForMessage(config.redis_read_failure_policy));
  }
  if (config.redis_write_replicas > 0 && config.redis_socket_timeout > 0 &&
      config.redis_write_replicas_timeout >= config.redis_socket_timeout) {
    return InvalidArgumentError(
        "redis_write_replicas_timeout (" +
        std::to_string(config.redis_write_replicas_timeout) +
        " ms) must be shorter than redis_socket_timeout (" +
        std::to_string(config.redis_socket_timeout) +
        " ms): the answer to WAIT comes after that long");
  }
  if (config.redis_tls_cert_file.empty() != config.redis_tls_key_file.empty()) {
    return InvalidArgumentError(
        "redis_tls_cert_file and redis_tls_key_file go together: give both "
        "or neither");
  }
  return Status::Ok();
}

}  // namespace

Status CheckConfigFieldRange(const ConfigField& field, int64_t value) {
  if (value >= field.min_value && value <= field.max_value) {
    return Status::Ok();
  }
  return InvalidArgumentError(
      std::string(field.name) + " must be an integer in [" +
      std::to_string(field.min_value) + ", " +
      std::to_string(field.max_value) + "], got " + std::to_string(value));
}

Status ValidateRedisTableConfig(const RedisTableConfig& config,
                                std::vector<std::string>* warnings) {
  TFRA_TABLE_RETURN_IF_ERROR(CheckFieldRanges(config));
  TFRA_TABLE_RETURN_IF_ERROR(CheckHosts(config));
  TFRA_TABLE_RETURN_IF_ERROR(CheckHashTags(
      "redis_hash_tags_runtime", config.redis_hash_tags_runtime,
      "storage_slice", config.storage_slice, warnings));
  TFRA_TABLE_RETURN_IF_ERROR(CheckHashTags(
      "redis_hash_tags_import", config.redis_hash_tags_import,
      config.storage_slice_import > 0 ? "storage_slice_import"
                                      : "storage_slice",
      config.effective_storage_slice_import(), warnings));
  if (config.model_lib_abs_dir.empty()) {
    return InvalidArgumentError("model_lib_abs_dir must not be empty");
  }
  RowEncoding encoding;
  if (!RowEncodingFromName(config.redis_value_encoding, &encoding)) {
    return InvalidArgumentError(
        "redis_value_encoding must be one of " +
        std::string(RowEncodingNames()) + ", got " +
        QuoteForMessage(config.redis_value_encoding));
  }
  return CheckReliabilityKeys(config);
}

}  // namespace redis_table
}  // namespace tfra

// Prints the config field table (ConfigFields()) as one JSON array on
// stdout: name, JSON type, default (as JSON text), unit, integer range and
// doc of every key, in table order. The docs test compares this with the
// config reference (docs/api_docs/tfra/dynamic_embedding/RedisBackend.md),
// so the documentation cannot drift from the code.
//
//   bazel run //tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table:print_config_fields
#include <cstdio>
#include <string>
#include <string_view>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/redis_table_config.h"

namespace {

// `text` as a JSON string literal.
std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
          out += escaped;
        } else {
          out.push_back(c);
        }
    }
  }
  return out + "\"";
}

std::string FieldJson(const tfra::redis_table::ConfigField& field) {
  const bool is_integer = field.json_type() == "integer" ||
                          field.json_type() == "integer array";
  std::string json = "{\"name\": " + JsonString(field.name);
  json += ", \"json_type\": " + JsonString(field.json_type());
  json += ", \"default\": " + JsonString(field.default_text());
  json += ", \"unit\": " + JsonString(field.unit);
  if (is_integer) {
    json += ", \"min\": " + std::to_string(field.min_value);
    json += ", \"max\": " + std::to_string(field.max_value);
  }
  json += ", \"doc\": " + JsonString(field.doc) + "}";
  return json;
}

}  // namespace

int main() {
  const auto& fields = tfra::redis_table::ConfigFields();
  std::string out = "[\n";
  for (size_t i = 0; i < fields.size(); ++i) {
    out += "  " + FieldJson(fields[i]) + (i + 1 < fields.size() ? ",\n" : "\n");
  }
  out += "]\n";
  std::fputs(out.c_str(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

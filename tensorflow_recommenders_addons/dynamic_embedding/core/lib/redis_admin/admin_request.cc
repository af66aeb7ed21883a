#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/admin_request.h"

#include <json-parser/json.h>

#include <memory>

namespace tfra {
namespace redis_admin {
namespace {

struct JsonDeleter {
  void operator()(json_value* value) const { json_value_free(value); }
};

std::string TextOf(const json_value& value) {
  return std::string(value.u.string.ptr, value.u.string.length);
}

}  // namespace

Result<AdminRequest> AdminRequest::Parse(std::string_view json) {
  std::unique_ptr<json_value, JsonDeleter> root(
      json_parse(json.data(), json.size()));
  if (root == nullptr || root->type != json_object) {
    return redis_table::InvalidArgumentError(
        "the request is not a JSON object");
  }
  AdminRequest request;
  for (const json_object_entry& entry : root->u.object) {
    const std::string name(entry.name, entry.name_length);
    const json_value& member = *entry.value;
    Value value;
    switch (member.type) {
      case json_null:
        continue;
      case json_string:
        value = Value{Value::Type::kString, TextOf(member)};
        break;
      case json_integer:
        value = Value{Value::Type::kInt, "", member.u.integer};
        break;
      case json_boolean:
        value = Value{Value::Type::kBool, "", member.u.boolean ? 1 : 0};
        break;
      case json_array:
        value.type = Value::Type::kStrings;
        for (const json_value* element : member.u.array) {
          if (element->type != json_string) {
            return WrongType(name, "an array of strings");
          }
          value.texts.push_back(TextOf(*element));
        }
        break;
      default:
        return WrongType(name, "a string, integer, boolean or string array");
    }
    request.values_[name] = std::move(value);
  }
  return request;
}

const AdminRequest::Value* AdminRequest::Find(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? nullptr : &it->second;
}

Status AdminRequest::WrongType(const std::string& name, const char* wanted) {
  return redis_table::InvalidArgumentError("request member '" + name +
                                           "' must be " + wanted);
}

Result<std::string> AdminRequest::String(const std::string& name,
                                         const std::string& fallback) const {
  const Value* value = Find(name);
  if (value == nullptr) return fallback;
  if (value->type != Value::Type::kString) return WrongType(name, "a string");
  return value->text;
}

Result<int64_t> AdminRequest::Int(const std::string& name,
                                  int64_t fallback) const {
  const Value* value = Find(name);
  if (value == nullptr) return fallback;
  if (value->type != Value::Type::kInt) return WrongType(name, "an integer");
  return value->number;
}

Result<bool> AdminRequest::Bool(const std::string& name, bool fallback) const {
  const Value* value = Find(name);
  if (value == nullptr) return fallback;
  if (value->type != Value::Type::kBool) return WrongType(name, "a boolean");
  return value->number != 0;
}

Result<std::vector<std::string>> AdminRequest::Strings(
    const std::string& name) const {
  const Value* value = Find(name);
  if (value == nullptr) return std::vector<std::string>();
  if (value->type != Value::Type::kStrings) {
    return WrongType(name, "an array of strings");
  }
  return value->texts;
}

Result<std::string> AdminRequest::Required(const std::string& name) const {
  auto text = String(name);
  if (!text.ok()) return text.status();
  if (text->empty()) {
    return redis_table::InvalidArgumentError("request member '" + name +
                                             "' is required");
  }
  return text;
}

}  // namespace redis_admin
}  // namespace tfra

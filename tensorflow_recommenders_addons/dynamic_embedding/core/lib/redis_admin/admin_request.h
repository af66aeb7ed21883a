// A request to the operator's tool binding (c_api.h): one JSON object whose
// members are the command's arguments. Text arrives as UTF-8 (what Python's
// json.dumps escapes, json-parser decodes). A member of the wrong type is an
// InvalidArgument naming it. Immutable after Parse; thread-compatible.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_ADMIN_REQUEST_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_ADMIN_REQUEST_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/table_status.h"

namespace tfra {
namespace redis_admin {

using redis_table::Result;
using redis_table::Status;

class AdminRequest {
 public:
  // InvalidArgument unless `json` is an object whose members are strings,
  // integers, booleans, nulls or arrays of strings.
  static Result<AdminRequest> Parse(std::string_view json);

  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  // The member, or `fallback` when absent or null.
  Result<std::string> String(const std::string& name,
                             const std::string& fallback = "") const;
  Result<int64_t> Int(const std::string& name, int64_t fallback = 0) const;
  Result<bool> Bool(const std::string& name, bool fallback = false) const;
  Result<std::vector<std::string>> Strings(const std::string& name) const;
  // A string member that must be present and non-empty.
  Result<std::string> Required(const std::string& name) const;

 private:
  struct Value {
    enum class Type { kString, kInt, kBool, kStrings } type;
    std::string text;
    int64_t number = 0;
    std::vector<std::string> texts;
  };

  const Value* Find(const std::string& name) const;
  static Status WrongType(const std::string& name, const char* wanted);

  std::map<std::string, Value> values_;
};

}  // namespace redis_admin
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_ADMIN_REQUEST_H_

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/kv_file_names.h"

#include <map>
#include <utility>

namespace tfra {
namespace redis_table {

namespace {

constexpr std::string_view kKeysSuffix = "-keys";
constexpr std::string_view kValuesSuffix = "-values";
constexpr std::string_view kShardMarker = "_mht_";

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.substr(text.size() - suffix.size()) == suffix;
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::string KeysFilePath(std::string_view path) {
  return std::string(path) + std::string(kKeysSuffix);
}

std::string ValuesFilePath(std::string_view path) {
  return std::string(path) + std::string(kValuesSuffix);
}

std::string ResolveKvFileDir(std::string_view dirpath_env,
                             std::string_view dirpath,
                             const GetEnvFunction& getenv_fn) {
  if (!dirpath_env.empty()) {
    const char* value = getenv_fn(std::string(dirpath_env).c_str());
    if (value != nullptr && value[0] != '\0') return value;
  }
  return std::string(dirpath);
}

std::string JoinFilePath(std::string_view dir, std::string_view file_name) {
  if (dir.empty()) return std::string(file_name);
  std::string path(dir);
  if (path.back() != '/') path += '/';
  while (StartsWith(file_name, "/")) file_name.remove_prefix(1);
  return path + std::string(file_name);
}

Result<std::vector<std::string>> SavedTablesInDir(
    std::string_view dir, const std::vector<std::string>& children,
    std::string_view file_name) {
  const size_t marker = file_name.rfind(kShardMarker);
  const std::string prefix =
      marker == std::string_view::npos
          ? std::string(file_name) + std::string(kShardMarker)
          : std::string(file_name.substr(0, marker + kShardMarker.size()));
  auto belongs = [&](std::string_view base) {
    return StartsWith(base, prefix) ||
           (marker == std::string_view::npos && base == file_name);
  };
  std::map<std::string, std::pair<bool, bool>> found;  // base -> keys, values
  for (const std::string& child : children) {
    for (const bool keys : {true, false}) {
      const std::string_view suffix = keys ? kKeysSuffix : kValuesSuffix;
      if (!EndsWith(child, suffix)) continue;
      const std::string base = child.substr(0, child.size() - suffix.size());
      if (!belongs(base)) continue;
      (keys ? found[base].first : found[base].second) = true;
    }
  }
  std::vector<std::string> tables;
  for (const auto& [base, files] : found) {
    if (!files.first || !files.second) {
      return NotFoundError("saved table '" + base + "' in " + std::string(dir) +
                           " has only its " +
                           (files.first ? "-keys" : "-values") + " file");
    }
    tables.push_back(base);
  }
  if (tables.empty()) {
    return NotFoundError("no saved key/value files for '" +
                         std::string(file_name) +
                         "' in " + std::string(dir) + " (looked for " +
                         prefix + "*-keys/-values)");
  }
  return tables;
}

}  // namespace redis_table
}  // namespace tfra

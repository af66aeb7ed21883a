#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/config_path.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>

namespace tfra {
namespace redis_table {
namespace {

// A variable's value when set and non-empty.
std::optional<std::string> NonEmptyVariable(const GetEnvFunction& getenv_fn,
                                            const std::string& name) {
  const char* value = getenv_fn(name.c_str());
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

std::string Quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

Status CheckIsFile(const ConfigPathChoice& choice) {
  struct stat info;
  if (::stat(choice.path.c_str(), &info) != 0) {
    std::string message = "Redis config file " + Quoted(choice.path) +
                          " not found (" + std::strerror(errno) +
                          "); the path comes from " +
                          choice.source_description;
    if (choice.source != ConfigPathSource::kAttrPath) {
      message += "; point that variable at the file or unset it";
    }
    return NotFoundError(std::move(message));
  }
  if (S_ISDIR(info.st_mode)) {
    return FailedPreconditionError(
        "Redis config path " + Quoted(choice.path) + " (from " +
        choice.source_description +
        ") is a directory; it must name the JSON config file itself");
  }
  return Status::Ok();
}

}  // namespace

GetEnvFunction ProcessEnvironment() {
  return [](const char* name) -> const char* { return std::getenv(name); };
}

const char* ConfigPathSourceName(ConfigPathSource source) {
  switch (source) {
    case ConfigPathSource::kAttrEnvVar:
      return "attr_env";
    case ConfigPathSource::kGlobalEnvVar:
      return "global_env";
    case ConfigPathSource::kAttrPath:
      return "attr_path";
  }
  return "unknown";
}

Result<ConfigPathChoice> ResolveConfigPath(std::string_view env_var_name_attr,
                                           std::string_view attr_path,
                                           const GetEnvFunction& getenv_fn) {
  std::optional<ConfigPathChoice> choice;
  const std::string attr_env(env_var_name_attr);
  if (!attr_env.empty()) {
    if (auto value = NonEmptyVariable(getenv_fn, attr_env)) {
      choice = ConfigPathChoice{
          *value, ConfigPathSource::kAttrEnvVar,
          "environment variable " + attr_env +
              " (named by attr redis_config_abs_dir_env)"};
    }
  }
  if (!choice) {
    if (auto value = NonEmptyVariable(getenv_fn, kGlobalConfigPathEnvVar)) {
      choice = ConfigPathChoice{
          *value, ConfigPathSource::kGlobalEnvVar,
          std::string("environment variable ") + kGlobalConfigPathEnvVar};
    }
  }
  if (!choice && !attr_path.empty()) {
    choice = ConfigPathChoice{std::string(attr_path),
                              ConfigPathSource::kAttrPath,
                              "attr redis_config_abs_dir"};
  }
  if (!choice) {
    const std::string first_source =
        attr_env.empty()
            ? std::string("attr redis_config_abs_dir_env is empty")
            : "environment variable " + attr_env +
                  " (named by attr redis_config_abs_dir_env) is unset or empty";
    return NotFoundError("no Redis config path given: " + first_source + ", " +
                         kGlobalConfigPathEnvVar +
                         " is unset or empty, and attr redis_config_abs_dir is "
                         "empty");
  }
  TFRA_TABLE_RETURN_IF_ERROR(CheckIsFile(*choice));
  return *std::move(choice);
}

Result<std::string> ReadConfigFile(const std::string& path) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) {
    return NotFoundError("Redis config file " + Quoted(path) + " not found (" +
                         std::strerror(errno) + ")");
  }
  if (S_ISDIR(info.st_mode)) {
    return FailedPreconditionError("Redis config path " + Quoted(path) +
                                   " is a directory, not a JSON file");
  }
  std::ifstream file(path, std::ios::binary);
  if (!file.is_open()) {
    return FailedPreconditionError("cannot open Redis config file " +
                                   Quoted(path) + ": " + std::strerror(errno));
  }
  std::string content((std::istreambuf_iterator<char>(file)),
                      std::istreambuf_iterator<char>());
  if (file.bad()) {
    return FailedPreconditionError("cannot read Redis config file " +
                                   Quoted(path));
  }
  if (content.empty()) {
    return InvalidArgumentError("Redis config file " + Quoted(path) +
                                " is empty");
  }
  return content;
}

}  // namespace redis_table
}  // namespace tfra

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/testing/redis_servers.h"

#include <json-parser/json.h>
#include <string.h>
#include <unistd.h>

#include <cstdlib>
#include <utility>

namespace tfra {
namespace redis_client {
namespace testing {

namespace {

constexpr char kScriptRelativePath[] = "tools/testing/redis_servers.py";
// How long a launcher gets to stop its servers and exit.
constexpr std::chrono::seconds kExitTimeout{60};

struct JsonDeleter {
  void operator()(json_value* value) const { json_value_free(value); }
};
using JsonPtr = std::unique_ptr<json_value, JsonDeleter>;

const json_value* Member(const json_value& object, const char* name) {
  if (object.type != json_object) return nullptr;
  for (const json_object_entry& entry : object.u.object) {
    if (strcmp(entry.name, name) == 0) return entry.value;
  }
  return nullptr;
}

// JSON null and a missing member read as "", like an unset credential.
bool ReadString(const json_value& object, const char* name, std::string* out,
                std::string* error) {
  const json_value* value = Member(object, name);
  if (value == nullptr || value->type == json_null) {
    out->clear();
    return true;
  }
  if (value->type != json_string) {
    *error = std::string("\"") + name + "\" is not a string";
    return false;
  }
  out->assign(value->u.string.ptr, value->u.string.length);
  return true;
}

// `optional`: JSON null and a missing member read as 0.
bool ReadInt(const json_value& object, const char* name, int* out,
             std::string* error, bool optional = false) {
  const json_value* value = Member(object, name);
  if (optional && (value == nullptr || value->type == json_null)) {
    *out = 0;
    return true;
  }
  if (value == nullptr || value->type != json_integer) {
    *error = std::string("\"") + name + "\" is not an integer";
    return false;
  }
  *out = static_cast<int>(value->u.integer);
  return true;
}

// Parses `line`; fails with the launcher's own error text when "ok" is false.
JsonPtr ParseAnswer(const std::string& line, std::string* error) {
  char parse_error[json_error_max] = "";
  json_settings settings = {};
  JsonPtr root(json_parse_ex(&settings, line.data(), line.size(), parse_error));
  if (root == nullptr || root->type != json_object) {
    *error = "launcher answered no JSON object (" + std::string(parse_error) +
             "): " + line;
    return nullptr;
  }
  const json_value* ok = Member(*root, "ok");
  if (ok == nullptr || ok->type != json_boolean || !ok->u.boolean) {
    std::string message;
    ReadString(*root, "error", &message, error);
    *error = "launcher: " + (message.empty() ? line : message);
    return nullptr;
  }
  return root;
}

bool ParseNodes(const json_value& root, Description* out, std::string* error) {
  const json_value* nodes = Member(root, "nodes");
  const json_value* sentinels = Member(root, "sentinels");
  if (nodes == nullptr || nodes->type != json_array || sentinels == nullptr ||
      sentinels->type != json_array) {
    *error = "\"nodes\" or \"sentinels\" is not an array";
    return false;
  }
  out->nodes.clear();
  for (const json_value* item : nodes->u.array) {
    ServerNode node;
    if (!ReadInt(*item, "port", &node.port, error) ||
        !ReadInt(*item, "pid", &node.pid, error) ||
        !ReadString(*item, "role", &node.role, error) ||
        !ReadString(*item, "state", &node.state, error) ||
        !ReadInt(*item, "proxy_port", &node.proxy_port, error, true)) {
      return false;
    }
    out->nodes.push_back(node);
  }
  out->sentinels.clear();
  for (const json_value* item : sentinels->u.array) {
    SentinelNode sentinel;
    if (!ReadInt(*item, "port", &sentinel.port, error) ||
        !ReadInt(*item, "pid", &sentinel.pid, error) ||
        !ReadString(*item, "state", &sentinel.state, error)) {
      return false;
    }
    out->sentinels.push_back(sentinel);
  }
  return true;
}

std::string ResolveScriptPath(const StartOptions& options, std::string* error) {
  std::vector<std::string> candidates;
  const char* from_env = std::getenv("TFRA_REDIS_SERVERS_PY");
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (!options.script_path.empty()) {
    candidates.push_back(options.script_path);  // Explicit: no fallback.
  } else if (from_env != nullptr && *from_env != '\0') {
    candidates.push_back(from_env);
  } else {
    if (srcdir != nullptr && workspace != nullptr) {
      candidates.push_back(std::string(srcdir) + "/" + workspace + "/" +
                           kScriptRelativePath);
    }
    candidates.push_back(kScriptRelativePath);
  }
  std::string tried;
  for (const std::string& path : candidates) {
    if (access(path.c_str(), R_OK) == 0) return path;
    tried += (tried.empty() ? "" : ", ") + path;
  }
  *error = "redis_servers.py not found (tried " + tried +
           "); set TFRA_REDIS_SERVERS_PY";
  return "";
}

std::vector<std::string> LauncherArgv(Mode mode, const StartOptions& options,
                                      const std::string& script) {
  const char* python_env = std::getenv("TFRA_PYTHON");
  std::string python = options.python;
  if (python.empty()) {
    python = python_env != nullptr && *python_env != '\0' ? python_env
                                                          : "python3";
  }
  std::vector<std::string> argv = {python, script, "serve", "--mode",
                                   ModeName(mode)};
  const std::pair<const char*, const std::string*> flags[] = {
      {"--password", &options.password},
      {"--acl-user", &options.acl_user},
      {"--acl-password", &options.acl_password},
      {"--sentinel-password", &options.sentinel_password},
  };
  for (const auto& [flag, value] : flags) {
    if (!value->empty()) argv.insert(argv.end(), {flag, *value});
  }
  for (const std::string& module : options.modules) {
    argv.insert(argv.end(), {"--module", module});
  }
  if (options.with_proxies) argv.push_back("--with-proxies");
  return argv;
}

}  // namespace

bool ParseDescription(const std::string& json_line, Description* out,
                      std::string* error) {
  JsonPtr root = ParseAnswer(json_line, error);
  return root != nullptr && ReadString(*root, "mode", &out->mode, error) &&
         ReadString(*root, "host", &out->host, error) &&
         ReadString(*root, "dir", &out->dir, error) &&
         ReadString(*root, "master_name", &out->master_name, error) &&
         ReadString(*root, "password", &out->password, error) &&
         ReadString(*root, "acl_user", &out->acl_user, error) &&
         ReadString(*root, "acl_password", &out->acl_password, error) &&
         ReadString(*root, "sentinel_password", &out->sentinel_password,
                    error) &&
         ParseNodes(*root, out, error);
}

std::unique_ptr<RedisServers> RedisServers::Start(Mode mode,
                                                  const StartOptions& options,
                                                  std::string* error) {
  const std::string script = ResolveScriptPath(options, error);
  if (script.empty()) return nullptr;
  std::unique_ptr<ChildProcess> launcher =
      ChildProcess::Spawn(LauncherArgv(mode, options, script), error);
  std::string line;
  Description description;
  if (launcher == nullptr ||
      !launcher->ReadLine(options.start_timeout, &line, error) ||
      !ParseDescription(line, &description, error)) {
    *error = std::string("starting Redis ") + ModeName(mode) + ": " + *error;
    return nullptr;  // The launcher sees EOF and cleans up.
  }
  if (description.mode != ModeName(mode)) {
    *error = "launcher started mode " + description.mode;
    return nullptr;
  }
  return std::unique_ptr<RedisServers>(
      new RedisServers(mode, options.command_timeout, std::move(launcher),
                       std::move(description)));
}

RedisServers::RedisServers(Mode mode, std::chrono::seconds command_timeout,
                           std::unique_ptr<ChildProcess> launcher,
                           Description description)
    : mode_(mode),
      command_timeout_(command_timeout),
      launcher_(std::move(launcher)),
      description_(std::move(description)) {}

RedisServers::~RedisServers() {
  std::string ignored;
  Stop(&ignored);
}

std::vector<int> RedisServers::NodePorts(const std::string& role) const {
  std::vector<int> ports;
  for (const ServerNode& node : description_.nodes) {
    if (role.empty() || node.role == role) ports.push_back(node.port);
  }
  return ports;
}

bool RedisServers::Command(const std::string& line, std::string* answer,
                           std::string* error) {
  if (launcher_ == nullptr) {
    *error = "the Redis servers are stopped";
    return false;
  }
  if (!launcher_->WriteLine(line, error) ||
      !launcher_->ReadLine(command_timeout_, answer, error)) {
    *error = "'" + line + "': " + *error;
    return false;
  }
  return true;
}

bool RedisServers::DescribingCommand(const std::string& line,
                                     std::string* error) {
  std::string answer;
  if (!Command(line, &answer, error)) return false;
  Description description;
  if (!ParseDescription(answer, &description, error)) {
    *error = "'" + line + "': " + *error;
    return false;
  }
  description_ = std::move(description);
  return true;
}

bool RedisServers::Kill(int port, std::string* error) {
  return DescribingCommand("kill " + std::to_string(port), error);
}

bool RedisServers::Restart(int port, std::string* error) {
  return DescribingCommand("restart " + std::to_string(port), error);
}

bool RedisServers::Pause(int port, std::string* error) {
  return DescribingCommand("pause " + std::to_string(port), error);
}

bool RedisServers::Resume(int port, std::string* error) {
  return DescribingCommand("resume " + std::to_string(port), error);
}

bool RedisServers::Proxy(int port, const std::string& action,
                         ProxyStats* stats, std::string* error) {
  std::string answer;
  JsonPtr root;
  ProxyStats read;
  if (!Command("proxy " + std::to_string(port) + " " + action, &answer,
               error) ||
      (root = ParseAnswer(answer, error)) == nullptr ||
      !ReadInt(*root, "commands", &read.commands, error) ||
      !ReadInt(*root, "replies", &read.replies, error) ||
      !ReadInt(*root, "cuts", &read.cuts, error)) {
    return false;
  }
  const json_value* dropped = Member(*root, "dropped");
  if (dropped == nullptr || dropped->type != json_array) {
    *error = "proxy stats without a \"dropped\" array: " + answer;
    return false;
  }
  for (const json_value* name : dropped->u.array) {
    if (name->type != json_string) continue;
    read.dropped.emplace_back(name->u.string.ptr, name->u.string.length);
  }
  if (stats != nullptr) *stats = std::move(read);
  return true;
}

bool RedisServers::Refresh(std::string* error) {
  return DescribingCommand("describe", error);
}

int RedisServers::MasterPort(std::string* error) {
  std::string answer;
  int port = -1;
  JsonPtr root;
  if (!Command("master", &answer, error) ||
      (root = ParseAnswer(answer, error)) == nullptr ||
      !ReadInt(*root, "port", &port, error)) {
    return -1;
  }
  return port;
}

bool RedisServers::Stop(std::string* error) {
  if (launcher_ == nullptr) return true;
  std::string answer;
  const bool stopped =
      Command("stop", &answer, error) && ParseAnswer(answer, error) != nullptr;
  std::string exit_error;
  const bool exited = launcher_->CloseAndWait(kExitTimeout, &exit_error);
  launcher_.reset();
  if (!exited) *error = stopped ? exit_error : *error + "; " + exit_error;
  return stopped && exited;
}

}  // namespace testing
}  // namespace redis_client
}  // namespace tfra

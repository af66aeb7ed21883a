#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/command.h"

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cstdio>

namespace tfra {
namespace redis_client {
namespace {

constexpr size_t kMaxDescribedKeyBytes = 64;

// Commands whose arguments may contain a password or other secret.
bool CarriesCredentials(std::string_view name) {
  static constexpr std::string_view kSecretive[] = {
      "AUTH", "HELLO", "MIGRATE", "ACL", "CONFIG", "SENTINEL", "MASTERAUTH"};
  for (std::string_view secretive : kSecretive) {
    if (EqualsIgnoreCase(name, secretive)) return true;
  }
  return false;
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) !=
        std::toupper(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

Command::Command(std::initializer_list<std::string_view> args) {
  args_.reserve(args.size());
  for (std::string_view arg : args) Add(arg);
}

Command& Command::AddAll(const std::vector<std::string_view>& args) {
  args_.reserve(args_.size() + args.size());
  for (std::string_view arg : args) Add(arg);
  return *this;
}

Command& Command::AddCopy(std::string_view bytes) {
  owned_.emplace_back(bytes);
  arg_bytes_ += bytes.size();
  args_.push_back(
      Arg{std::string_view(), static_cast<int32_t>(owned_.size() - 1)});
  return *this;
}

Command& Command::AddInt(int64_t value) {
  return AddCopy(std::to_string(value));
}

std::string EscapeBytes(std::string_view bytes, size_t max_bytes) {
  std::string text;
  const size_t n = std::min(bytes.size(), max_bytes);
  text.reserve(n + 8);
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      text.push_back(static_cast<char>(c));
    } else {
      char escaped[5];
      std::snprintf(escaped, sizeof(escaped), "\\x%02x", c);
      text += escaped;
    }
  }
  if (bytes.size() > n) text += "...";
  return text;
}

std::string DescribeCommand(const Command& command) {
  if (command.empty()) return "<empty command>";
  std::string text = EscapeBytes(command.name(), kMaxDescribedKeyBytes);
  if (command.size() > 1 && !CarriesCredentials(command.name())) {
    text += " ";
    text += EscapeBytes(command.arg(1), kMaxDescribedKeyBytes);
  }
  return text;
}

Command Ping() { return Command{"PING"}; }
Command Role() { return Command{"ROLE"}; }
Command Info(std::string_view section) { return Command{"INFO", section}; }
Command ClusterSlots() { return Command{"CLUSTER", "SLOTS"}; }
Command Del(std::string_view key) { return Command{"DEL", key}; }
Command Exists(std::string_view key) { return Command{"EXISTS", key}; }
Command Persist(std::string_view key) { return Command{"PERSIST", key}; }
Command Dump(std::string_view key) { return Command{"DUMP", key}; }
Command Hlen(std::string_view key) { return Command{"HLEN", key}; }

Command Expire(std::string_view key, std::chrono::seconds ttl) {
  Command command{"EXPIRE", key};
  command.AddInt(ttl.count());
  return command;
}

Command Restore(std::string_view key, std::chrono::milliseconds ttl,
                std::string_view payload, bool replace) {
  Command command{"RESTORE", key};
  command.AddInt(ttl.count()).Add(payload);
  if (replace) command.Add("REPLACE");
  return command;
}

Command Hmget(std::string_view key,
              const std::vector<std::string_view>& fields) {
  Command command{"HMGET", key};
  command.AddAll(fields);
  return command;
}

Command Hset(std::string_view key, const std::vector<std::string_view>& fields,
             const std::vector<std::string_view>& values) {
  assert(fields.size() == values.size());
  Command command{"HSET", key};
  command.Reserve(2 + 2 * std::min(fields.size(), values.size()));
  for (size_t i = 0; i < fields.size() && i < values.size(); ++i) {
    command.Add(fields[i]).Add(values[i]);
  }
  return command;
}

Command Hdel(std::string_view key,
             const std::vector<std::string_view>& fields) {
  Command command{"HDEL", key};
  command.AddAll(fields);
  return command;
}

Command Hscan(std::string_view key, std::string_view cursor, int64_t count) {
  Command command{"HSCAN", key};
  command.AddCopy(cursor).Add("COUNT").AddInt(count);
  return command;
}

Command Scan(std::string_view cursor, std::string_view pattern, int64_t count) {
  Command command{"SCAN"};
  command.AddCopy(cursor).Add("MATCH").Add(pattern).Add("COUNT").AddInt(count);
  return command;
}

}  // namespace redis_client
}  // namespace tfra

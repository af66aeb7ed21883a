#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/repeat_rule.h"

#include <string>
#include <string_view>

namespace tfra {
namespace redis_client {
namespace {

// Commands whose second run changes nothing the first did not. Audit of the
// commands this project sends (docs/reliability.md lists them with the
// operations that send them): a name missing here is unsafe, so adding a
// command that adds to stored data needs no change to stay correct.
constexpr std::string_view kRepeatable[] = {
    // Reads.
    "HMGET", "HGET", "HLEN", "HSCAN", "SCAN", "EXISTS", "PTTL", "TTL", "DUMP",
    "GET", "TYPE", "INFO", "PING", "ROLE", "CLUSTER", "WAIT",
    // Writes that set, whatever was there before.
    "HSET", "HDEL", "DEL", "UNLINK", "EXPIRE", "PEXPIRE", "PERSIST", "SET",
    "FLUSHDB", "FLUSHALL",
    // Connection set-up, gone with the connection.
    "AUTH", "HELLO", "SELECT", "READONLY", "READWRITE", "ASKING", "WATCH",
    "UNWATCH", "MULTI", "DISCARD", "CLIENT",
    // SCRIPT LOAD caches a body under its own SHA-1.
    "SCRIPT",
};

bool HasReplaceOption(const Command& command) {
  for (size_t i = 4; i < command.size(); ++i) {
    if (EqualsIgnoreCase(command.arg(i), "REPLACE")) return true;
  }
  return false;
}

}  // namespace

bool SafeToRepeat(const Command& command) {
  const std::string_view name = command.name();
  // RESTORE without REPLACE would fail a second time (BUSYKEY): a write that
  // happened reported as failed.
  if (EqualsIgnoreCase(name, "RESTORE")) return HasReplaceOption(command);
  for (std::string_view repeatable : kRepeatable) {
    if (EqualsIgnoreCase(name, repeatable)) return true;
  }
  return false;
}

Status OutcomeUnknown(const Status& transport_failure,
                      const Command& command) {
  return Status(ErrorCode::kOutcomeUnknown,
                DescribeCommand(command) +
                    " may have been applied: its reply was lost (" +
                    transport_failure.ToString() +
                    "); it is not sent again, as a second run could apply "
                    "it twice");
}

}  // namespace redis_client
}  // namespace tfra

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/repeat_rule.h"

#include <string>
#include <string_view>

namespace tfra {
namespace redis_client {
namespace {

// What a command does to stored data, for the commands whose second run
// changes nothing the first did not. Audit of the commands this project
// sends (docs/reliability.md lists them with the operations that send
// them): a name missing here adds to stored data as far as this file knows,
// so adding such a command needs no change to stay correct.
enum class Effect {
  kReads,       // changes nothing
  kSets,        // sets data to what it carries, whatever was there
  kConnection,  // changes only the connection's state, gone with it
};

struct KnownCommand {
  std::string_view name;
  Effect effect;
};

constexpr KnownCommand kKnown[] = {
    {"HMGET", Effect::kReads},      {"HGET", Effect::kReads},
    {"HLEN", Effect::kReads},       {"HSCAN", Effect::kReads},
    {"SCAN", Effect::kReads},       {"EXISTS", Effect::kReads},
    {"PTTL", Effect::kReads},       {"TTL", Effect::kReads},
    {"DUMP", Effect::kReads},       {"GET", Effect::kReads},
    {"TYPE", Effect::kReads},       {"INFO", Effect::kReads},
    {"PING", Effect::kReads},       {"ROLE", Effect::kReads},
    {"CLUSTER", Effect::kReads},    {"COMMAND", Effect::kReads},
    // Only ever sent last in the pipeline of the writes it covers, and sent
    // again only with them, on their new connection (replica_ack.h; the
    // router fails a group whose writes were answered but its WAIT not).
    {"WAIT", Effect::kReads},
    {"HSET", Effect::kSets},        {"HDEL", Effect::kSets},
    {"DEL", Effect::kSets},         {"UNLINK", Effect::kSets},
    {"EXPIRE", Effect::kSets},      {"PEXPIRE", Effect::kSets},
    {"PERSIST", Effect::kSets},     {"SET", Effect::kSets},
    {"FLUSHDB", Effect::kSets},     {"FLUSHALL", Effect::kSets},
    // SCRIPT LOAD caches a body under its own SHA-1.
    {"SCRIPT", Effect::kSets},
    {"AUTH", Effect::kConnection},  {"HELLO", Effect::kConnection},
    {"SELECT", Effect::kConnection}, {"READONLY", Effect::kConnection},
    {"READWRITE", Effect::kConnection}, {"ASKING", Effect::kConnection},
    {"WATCH", Effect::kConnection}, {"UNWATCH", Effect::kConnection},
    {"MULTI", Effect::kConnection}, {"DISCARD", Effect::kConnection},
    {"CLIENT", Effect::kConnection},
};

const KnownCommand* Find(const Command& command) {
  for (const KnownCommand& known : kKnown) {
    if (EqualsIgnoreCase(command.name(), known.name)) return &known;
  }
  return nullptr;
}

bool HasReplaceOption(const Command& command) {
  for (size_t i = 4; i < command.size(); ++i) {
    if (EqualsIgnoreCase(command.arg(i), "REPLACE")) return true;
  }
  return false;
}

// A write inside MULTI is only queued; EXEC's reply says whether it ran.
bool IsQueued(const ReplyView& reply) {
  return reply.type() == ReplyType::kStatus && reply.text() == "QUEUED";
}

}  // namespace

bool SafeToRepeat(const Command& command) {
  // RESTORE without REPLACE would fail a second time (BUSYKEY): a write that
  // happened reported as failed.
  if (EqualsIgnoreCase(command.name(), "RESTORE")) {
    return HasReplaceOption(command);
  }
  return Find(command) != nullptr;
}

bool WritesData(const Command& command) {
  return WriteKindOf(command) != WriteKind::kNone;
}

WriteKind WriteKindOf(const Command& command) {
  const KnownCommand* known = Find(command);
  if (known != nullptr) {
    return known->effect == Effect::kSets ? WriteKind::kAllOrNothing
                                          : WriteKind::kNone;
  }
  if (EqualsIgnoreCase(command.name(), "EXEC")) return WriteKind::kExec;
  // RESTORE is a plain Redis write; the others are whatever the caller says.
  if (EqualsIgnoreCase(command.name(), "RESTORE") || command.all_or_nothing()) {
    return WriteKind::kAllOrNothing;
  }
  return WriteKind::kOther;
}

bool RefusedBeforeRunning(const ReplyView& reply) {
  if (!reply.is_error()) return false;
  switch (reply.ToStatus().code()) {
    case ErrorCode::kMoved:
    case ErrorCode::kAsk:
    case ErrorCode::kUnavailable:
    case ErrorCode::kAuth:
      return true;
    default:
      break;
  }
  // OOM: the memory check comes before a command runs, and a script meets
  // it at its first write only (Redis lets a script that wrote finish).
  const std::string_view text = reply.text();
  for (std::string_view prefix :
       {"NOSCRIPT ", "EXECABORT ", "OOM ", "ERR unknown command"}) {
    if (text.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

bool MayHaveWritten(WriteKind kind, const ReplyView& reply) {
  switch (kind) {
    case WriteKind::kNone:
      return false;
    case WriteKind::kAllOrNothing:
      return !reply.is_error() && !IsQueued(reply);
    case WriteKind::kExec:
      // Nil: a watched key changed; an error: EXECABORT or no MULTI.
      return !reply.is_nil() && !reply.is_error();
    case WriteKind::kOther:
      return !RefusedBeforeRunning(reply) && !IsQueued(reply);
  }
  return true;
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

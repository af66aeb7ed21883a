// Redis commands as binary-safe argv. Arguments are borrowed views of the
// caller's memory (no copy: keys and values can point straight into tensor
// buffers) or, where a value is computed on the spot (a number, a cursor),
// owned by the command. No format strings, no concatenated command text.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_COMMAND_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_COMMAND_H_

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/element_sink.h"

namespace tfra {
namespace redis_client {

// One command's argv. A borrowed argument must stay alive and unchanged until
// the call that sends the command returns; owned arguments travel with the
// command, so copying a Command is always safe. Not synchronised: build on one
// thread, then share as const.
class Command {
 public:
  Command() = default;
  // All arguments borrowed.
  Command(std::initializer_list<std::string_view> args);

  // Appends a borrowed argument (inline: long commands add thousands).
  Command& Add(std::string_view arg) {
    args_.push_back(Arg{arg, -1});
    arg_bytes_ += arg.size();
    return *this;
  }
  // Appends borrowed arguments.
  Command& AddAll(const std::vector<std::string_view>& args);
  // Appends a copy of `bytes`, owned by the command.
  Command& AddCopy(std::string_view bytes);
  // Appends the decimal text of `value`, owned by the command.
  Command& AddInt(int64_t value);
  // Makes room for `args` arguments in all (a long command built by Add).
  Command& Reserve(size_t args) {
    args_.reserve(args);
    return *this;
  }

  size_t size() const { return args_.size(); }
  // The arguments' bytes in all.
  size_t arg_bytes() const { return arg_bytes_; }
  bool empty() const { return args_.empty(); }
  // Inline: sending a command reads every argument once.
  std::string_view arg(size_t i) const {
    const Arg& a = args_[i];
    return a.owned < 0 ? a.borrowed : std::string_view(owned_[a.owned]);
  }
  // The command name (argv[0]); empty for an empty command.
  std::string_view name() const {
    return empty() ? std::string_view() : arg(0);
  }

  // Sends the bulk-string and nil elements of this command's top-level array
  // reply to `sink` with `tag` as they are parsed, instead of into the
  // Reply, whose array then holds nils in their place (its size, error
  // replies and elements of other types are kept). The sink is borrowed like
  // the arguments; a command resent after a failure streams again.
  Command& SendElementsTo(ElementSink* sink, size_t tag) {
    element_target_ = ElementTarget{sink, tag};
    return *this;
  }
  const ElementTarget& element_target() const { return element_target_; }

  // Marks a command that either runs whole or, when it answers an error,
  // writes nothing (a script or module command that checks everything
  // before its first write), as plain Redis commands do by nature. A WAIT
  // after it then need not vouch for it when it failed (repeat_rule.h).
  Command& AllOrNothing() {
    all_or_nothing_ = true;
    return *this;
  }
  bool all_or_nothing() const { return all_or_nothing_; }

  // About how many bytes the reply will have, when that is large (HMGET of
  // many rows); pipelines count it with the arguments against their window,
  // so the server never queues more replies than the window for the client.
  Command& ExpectReplyBytes(size_t bytes) {
    expected_reply_bytes_ = bytes;
    return *this;
  }
  size_t expected_reply_bytes() const { return expected_reply_bytes_; }

 private:
  // `owned` indexes owned_ (-1: borrowed). An index rather than a view keeps
  // copies valid when owned_ reallocates or the command is copied.
  struct Arg {
    std::string_view borrowed;
    int32_t owned = -1;
  };
  std::vector<Arg> args_;
  std::vector<std::string> owned_;
  size_t arg_bytes_ = 0;
  ElementTarget element_target_;
  size_t expected_reply_bytes_ = 0;
  bool all_or_nothing_ = false;
};

// Text for error messages: the command name, and its first argument (usually
// the key) with non-printable bytes escaped and long keys cut. The arguments
// of commands that carry credentials (AUTH, HELLO, MIGRATE, ...) are never
// included, so passwords cannot leak into messages.
std::string DescribeCommand(const Command& command);

// True when `a` and `b` are equal ignoring ASCII case (command names).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// `bytes` with printable ASCII kept and everything else as \xNN, cut to at
// most `max_bytes` input bytes (then "..." is appended).
std::string EscapeBytes(std::string_view bytes, size_t max_bytes);

// Builders for the commands the table layer uses. Keys, fields and values are
// borrowed; numbers and cursors are owned.
Command Ping();
Command Role();
Command Info(std::string_view section);
Command ClusterSlots();
Command Del(std::string_view key);
Command Exists(std::string_view key);
Command Expire(std::string_view key, std::chrono::seconds ttl);
Command Persist(std::string_view key);
Command Dump(std::string_view key);
// RESTORE key ttl payload [REPLACE]; ttl 0 means no expiry.
Command Restore(std::string_view key, std::chrono::milliseconds ttl,
                std::string_view payload, bool replace);
Command Hlen(std::string_view key);
Command Hmget(std::string_view key,
              const std::vector<std::string_view>& fields);
// HSET key f1 v1 f2 v2 ...; `fields` and `values` have equal sizes.
Command Hset(std::string_view key, const std::vector<std::string_view>& fields,
             const std::vector<std::string_view>& values);
Command Hdel(std::string_view key, const std::vector<std::string_view>& fields);
Command Hscan(std::string_view key, std::string_view cursor, int64_t count);
// SCAN cursor MATCH pattern COUNT count (glob pattern).
Command Scan(std::string_view cursor, std::string_view pattern, int64_t count);

}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_COMMAND_H_

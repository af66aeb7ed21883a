// What a node says of one command (COMMAND INFO): whether it has it, and
// whether it is flagged as a write. Module commands (HMACCUM) exist on the
// nodes that load the module only, so a caller that wants one asks the node
// its connection reaches; Connection::SupportOf asks once per connection.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_COMMAND_SUPPORT_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_COMMAND_SUPPORT_H_

#include <string_view>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/command.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/reply.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/status.h"

namespace tfra {
namespace redis_client {

struct CommandSupport {
  bool present = false;
  // The command's flags include "write": Redis replicates it and writes it
  // to the AOF. (A command flagged "readonly" that changes data, as TFRA
  // 0.8's HMACCUM is, changes the master alone.)
  bool write = false;
};

// COMMAND INFO <name>.
Command CommandInfo(std::string_view name);

// The support a COMMAND INFO reply for one command states: a nil element
// (or an empty array) means absent. An error reply is its status; a reply
// of another shape is kProtocol.
Result<CommandSupport> ParseCommandInfo(const Reply& reply);

}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_COMMAND_SUPPORT_H_

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/command_support.h"

namespace tfra {
namespace redis_client {

Command CommandInfo(std::string_view name) {
  return Command{"COMMAND", "INFO", name};
}

Result<CommandSupport> ParseCommandInfo(const Reply& reply) {
  TFRA_REDIS_RETURN_IF_ERROR(reply.ToStatus());
  auto count = reply.ArraySize();
  if (!count.ok()) return count.status();
  CommandSupport support;
  if (*count == 0 || reply.element(0).is_nil()) return support;
  // [name, arity, [flags...], first key, last key, step, ...]
  const ReplyView info = reply.element(0);
  auto fields = info.ArraySize();
  if (!fields.ok() || *fields < 3 || !info.element(2).is_array()) {
    return Status(ErrorCode::kProtocol, "malformed COMMAND INFO reply");
  }
  support.present = true;
  const ReplyView flags = info.element(2);
  for (size_t i = 0; i < *flags.ArraySize(); ++i) {
    auto flag = flags.element(i).AsString();
    if (flag.ok() && *flag == "write") support.write = true;
  }
  return support;
}

}  // namespace redis_client
}  // namespace tfra

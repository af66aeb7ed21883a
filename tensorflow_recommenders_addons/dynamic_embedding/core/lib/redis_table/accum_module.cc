#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/accum_module.h"

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/client_status.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/pipeline.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/repeat_rule.h"

namespace tfra {
namespace redis_table {
namespace {

constexpr std::string_view kHmaccum = "HMACCUM";

}  // namespace

redis_client::Command HmaccumCommand(std::string_view bucket,
                                     const AccumRequest& request,
                                     const std::vector<size_t>& order,
                                     size_t begin, size_t end) {
  redis_client::Command command{kHmaccum, bucket,
                                AccumElementName(request.element)};
  command.Reserve(3 + 2 * (end - begin) + 1);  // no regrowth of 2k args
  std::string exists;
  exists.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) {
    const size_t k = order[i];
    command.Add(request.keys->fields[k]).Add((*request.deltas)[k]);
    exists.push_back((*request.exists)[k] ? '\x01' : '\x00');
  }
  command.AddCopy(exists);
  // HMACCUM checks every row before it writes one (accum_module.h).
  command.AllOrNothing();
  return command;
}

bool HasReplicatedHmaccum(redis_client::Connection& connection) {
  auto support = connection.SupportOf(kHmaccum);
  return support.ok() && support->present && support->write;
}

Status AccumChunksByModule(redis_client::Connection& connection,
                           const AccumTarget& target,
                           const AccumRequest& request,
                           const KeyChunks& chunked, size_t first, size_t last,
                           size_t* done) {
  *done = 0;
  if (first == last) return Status::Ok();
  const std::string& bucket =
      (*target.bucket_keys)[chunked.chunks[first].bucket];
  std::vector<redis_client::Command> commands;
  commands.reserve(last - first);
  for (size_t c = first; c < last; ++c) {
    const KeyChunk& chunk = chunked.chunks[c];
    commands.push_back(
        HmaccumCommand(bucket, request, chunked.order, chunk.begin, chunk.end));
  }
  // The index of the first error reply, and whether every reply from it on
  // says "not run". The error reported is the first that is not a "not
  // run", if any (a command that failed for itself).
  size_t first_error = commands.size();
  redis_client::Status error;
  bool error_did_not_run = false;
  bool rest_did_not_run = true;
  redis_client::Status sent = redis_client::RunPipeline(
      connection, redis_client::RefsOf(commands),
      [&](size_t index, redis_client::Reply&& reply) {
        const bool not_run = redis_client::RefusedBeforeRunning(reply.view());
        if (first_error == commands.size()) {
          if (!reply.is_error()) return;
          first_error = index;
          error = reply.ToStatus();
          error_did_not_run = not_run;
        }
        if (not_run) return;
        rest_did_not_run = false;
        if (error_did_not_run && reply.is_error()) {
          error = reply.ToStatus();
          error_did_not_run = false;
        }
      });
  if (!sent.ok()) return FromClientStatus(sent, target.context);
  *done = first_error;
  if (first_error == commands.size() || rest_did_not_run) return Status::Ok();
  return FromClientStatus(error, target.context);
}

}  // namespace redis_table
}  // namespace tfra

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/cluster_router.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_metrics.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/repeat_rule.h"

namespace tfra {
namespace redis_client {
namespace {

Status AtNode(const Status& status, const Endpoint& node,
              const Command& command) {
  return status.WithContext("node " + node.ToString() + ", " +
                            DescribeCommand(command));
}

// Replies that SettleReply may turn into a retry: never handed over as read.
bool MayBeRetried(const Reply& reply) {
  if (!reply.is_error()) return false;
  const ErrorCode code = reply.ToStatus().code();
  return code == ErrorCode::kMoved || code == ErrorCode::kAsk ||
         code == ErrorCode::kUnavailable;
}

}  // namespace

// One command still to be answered, across attempts.
struct ClusterRouter::Entry {
  size_t index = 0;                  // position in the caller's commands
  std::optional<Endpoint> redirect;  // MOVED/ASK target for the next attempt
  bool asking = false;               // ASK: precede with ASKING
  bool master_only = false;          // its replica failed once: use the master
  int redirects = 0;                 // MOVED/ASK replies it got in a row
};

// The entries one attempt sends to one node, as one pipeline.
struct ClusterRouter::Group {
  Endpoint node;
  bool readonly = false;
  bool routed = true;           // false: no node serves these slots now
  std::vector<size_t> members;  // indexes into the pending entries
  Status failure;                // of the pipeline as a whole
  std::vector<uint8_t> answered;  // per member: a reply was read
  PipelineAck ack{nullptr};       // WAIT's verdict, when the pipeline has it
  // Replies that may be retried, by member position, for Settle.
  std::vector<std::pair<size_t, Reply>> to_settle;
};

struct ClusterRouter::RetryState {
  Status last_error;     // the latest reason to retry, naming node + command
  Status fatal;          // a failure no retry can fix
  bool backoff = false;  // wait before the next attempt
  bool refresh = false;  // refresh the slot map before the next attempt
  int backoffs = 0;
};

ClusterRouter::ClusterRouter(const ClientOptions& options)
    : topology_(options),
      cluster_options_(options.cluster),
      read_from_replicas_(options.read_from_replicas),
      replica_ack_(options.durable_writes) {}

ClusterRouter::~ClusterRouter() = default;

Result<std::vector<Reply>> ClusterRouter::Execute(
    const std::vector<SlotCommand>& commands, bool prefer_replicas,
    Executor* executor) {
  return CollectReplies(commands.size(), [&](const ReplyFn& on_reply) {
    return Execute(commands, prefer_replicas, executor, on_reply);
  });
}

Status ClusterRouter::Execute(const std::vector<SlotCommand>& commands,
                              bool prefer_replicas, Executor* executor,
                              const ReplyFn& on_reply) {
  std::vector<Entry> pending(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) pending[i].index = i;
  RetryState state;
  int attempt = 0;
  while (!pending.empty() && attempt < cluster_options_.max_attempts) {
    ++attempt;
    if (state.backoff) std::this_thread::sleep_for(Backoff(state.backoffs++));
    state.backoff = state.refresh = false;
    uint64_t seen_version = 0;
    std::shared_ptr<const SlotMap> map = topology_.Snapshot(&seen_version);
    if (map == nullptr) {
      Status refreshed = topology_.RefreshUnlessNewer(seen_version);
      if (refreshed.code() == ErrorCode::kAuth) return refreshed;
      if (!refreshed.ok()) state.last_error = refreshed;
      state.backoff = !refreshed.ok();
      continue;
    }
    std::vector<Group> groups =
        GroupByNode(commands, pending, *map,
                    prefer_replicas && read_from_replicas_, &state);
    RunGroups(commands, pending, on_reply, executor,
              !prefer_replicas && replica_ack_.enabled(), &groups);
    pending = Settle(commands, pending, &groups, on_reply, &state);
    if (!state.fatal.ok()) return state.fatal;
    // A failed refresh is not fatal: the next attempt retries it.
    if (state.refresh && !pending.empty()) {
      topology_.RefreshUnlessNewer(seen_version);
    }
  }
  if (pending.empty()) return Status::Ok();
  if (state.last_error.ok())
    state.last_error = Status(ErrorCode::kNoNode, "no slot map");
  return state.last_error.WithContext("cluster: gave up after " +
                                      std::to_string(attempt) + " attempt(s)");
}

std::vector<ClusterRouter::Group> ClusterRouter::GroupByNode(
    const std::vector<SlotCommand>& commands, const std::vector<Entry>& pending,
    const SlotMap& map, bool use_replicas, RetryState* state) const {
  std::vector<Group> groups;
  std::map<std::pair<Endpoint, bool>, size_t> group_of;  // node, readonly
  Group unrouted;
  unrouted.routed = false;
  for (size_t p = 0; p < pending.size(); ++p) {
    const Entry& entry = pending[p];
    const uint16_t slot = commands[entry.index].slot;
    std::pair<Endpoint, bool> key;
    if (entry.redirect.has_value()) {
      key = {*entry.redirect, false};
    } else if (const SlotRange* range = map.Find(slot)) {
      const size_t replicas = range->replicas.size();
      // slot % replicas spreads slots over replicas deterministically.
      key = use_replicas && !entry.master_only && replicas > 0
                ? std::make_pair(range->replicas[slot % replicas], true)
                : std::make_pair(range->master, false);
    } else {
      state->last_error = Status(ErrorCode::kNoNode,
                                 "no node serves slot " + std::to_string(slot));
      unrouted.members.push_back(p);
      continue;
    }
    auto inserted = group_of.emplace(key, groups.size());
    if (inserted.second) {
      groups.emplace_back();
      groups.back().node = key.first;
      groups.back().readonly = key.second;
    }
    groups[inserted.first->second].members.push_back(p);
  }
  if (!unrouted.members.empty()) {
    state->backoff = state->refresh = true;
    groups.push_back(std::move(unrouted));
  }
  return groups;
}

// A group's commands as one pipeline: ASKING goes before each command
// redirected by ASK, and its reply is dropped; WAIT, when writes must be
// acknowledged by replicas, goes last.
struct ClusterRouter::GroupPipeline {
  static constexpr size_t kAsking = ~size_t{0};
  static constexpr size_t kWait = ~size_t{1};
  CommandRefs refs;
  std::vector<size_t> member_of;  // per ref: member position, or kAsking
};

ClusterRouter::GroupPipeline ClusterRouter::PipelineOf(
    const std::vector<SlotCommand>& commands, const std::vector<Entry>& pending,
    bool wait, Group* group) const {
  GroupPipeline pipeline;
  pipeline.refs.reserve(group->members.size());
  pipeline.member_of.reserve(group->members.size());
  for (size_t k = 0; k < group->members.size(); ++k) {
    const Entry& entry = pending[group->members[k]];
    if (entry.asking) {
      pipeline.refs.push_back(&asking_);
      pipeline.member_of.push_back(GroupPipeline::kAsking);
    }
    pipeline.refs.push_back(commands[entry.index].command);
    pipeline.member_of.push_back(k);
  }
  const bool writes = std::any_of(
      pipeline.refs.begin(), pipeline.refs.end(),
      [](const Command* command) { return WritesData(*command); });
  if (wait && writes) {
    pipeline.refs.push_back(&replica_ack_.command());
    pipeline.member_of.push_back(GroupPipeline::kWait);
    group->ack = PipelineAck(&replica_ack_);
  }
  group->answered.assign(group->members.size(), 0);
  return pipeline;
}

ReplyFn ClusterRouter::GroupReplyFn(const GroupPipeline& pipeline,
                                    const std::vector<Entry>& pending,
                                    const ReplyFn& on_reply,
                                    Group* group) const {
  return [this, &pipeline, &pending, &on_reply, group](size_t ref,
                                                       Reply&& reply) {
    const size_t k = pipeline.member_of[ref];
    // A failed ASKING shows in the reply of the command after it.
    if (k == GroupPipeline::kAsking) return;
    if (k == GroupPipeline::kWait) {
      group->ack.OnWait(reply);
      return;
    }
    group->answered[k] = 1;
    group->ack.OnReply(*pipeline.refs[ref], reply);
    if (MayBeRetried(reply)) {
      group->to_settle.emplace_back(k, std::move(reply));
    } else {
      on_reply(pending[group->members[k]].index, std::move(reply));
    }
  };
}

void ClusterRouter::RunGroups(const std::vector<SlotCommand>& commands,
                              const std::vector<Entry>& pending,
                              const ReplyFn& on_reply, Executor* executor,
                              bool wait, std::vector<Group>* groups) {
  std::vector<Group*> routed;
  for (Group& group : *groups) {
    if (group.routed) routed.push_back(&group);
  }
  // Built in full before any reply function points into them.
  std::vector<GroupPipeline> pipelines;
  pipelines.reserve(routed.size());
  for (Group* group : routed) {
    pipelines.push_back(PipelineOf(commands, pending, wait, group));
  }
  // The pools outlive the leases the pipelines take from them.
  std::vector<std::shared_ptr<ConnectionPool>> pools;
  std::vector<PooledPipeline> runs(routed.size());
  for (size_t g = 0; g < routed.size(); ++g) {
    pools.push_back(topology_.PoolFor(routed[g]->node, routed[g]->readonly));
    runs[g].pool = pools.back().get();
    runs[g].commands = &pipelines[g].refs;
    runs[g].on_reply =
        GroupReplyFn(pipelines[g], pending, on_reply, routed[g]);
  }
  if (executor != nullptr) {
    executor->ParallelFor(runs.size(), [&runs](size_t g) {
      PooledPipeline& run = runs[g];
      run.status = RunPipelineOnPool(*run.pool, *run.commands, run.on_reply);
    });
  } else {
    RunPipelinesInterleaved(&runs);
  }
  for (size_t g = 0; g < routed.size(); ++g) {
    routed[g]->failure = runs[g].status;
  }
}

std::vector<ClusterRouter::Entry> ClusterRouter::Settle(
    const std::vector<SlotCommand>& commands, const std::vector<Entry>& pending,
    std::vector<Group>* groups, const ReplyFn& on_reply,
    RetryState* state) const {
  std::vector<Entry> next;
  for (Group& group : *groups) {
    if (!group.routed) {
      for (size_t p : group.members) next.push_back(pending[p]);
      continue;
    }
    for (auto& [k, reply] : group.to_settle) {
      const Entry& entry = pending[group.members[k]];
      SettleReply(*commands[entry.index].command, group, entry,
                  std::move(reply), &next, on_reply, state);
    }
    const Command& first =
        *commands[pending[group.members.front()].index].command;
    // WAIT's verdict, when writes ran: fatal when it says too few replicas,
    // or when the connection died after writes were answered and before
    // WAIT was (a WAIT on another connection cannot vouch for them).
    const Status outcome = group.ack.Outcome(group.failure);
    if (outcome.ok()) continue;
    Status error = AtNode(outcome, group.node, first);
    if (!error.IsTransient()) {
      state->fatal = error;
      return {};
    }
    state->last_error = error;
    state->backoff = state->refresh = true;
    // Resend those without a reply: whether they ran is unknown, but every
    // one that was sent is safe to repeat (else the pipeline's failure is
    // kOutcomeUnknown, which is not transient: see above).
    for (size_t k = 0; k < group.members.size(); ++k) {
      if (group.answered[k]) continue;
      ClientMetrics::Get().resends->Add();
      Entry entry = pending[group.members[k]];
      entry.redirect.reset();
      entry.asking = false;
      entry.master_only = entry.master_only || group.readonly;
      next.push_back(entry);
    }
  }
  return next;
}

void ClusterRouter::SettleReply(const Command& command, const Group& group,
                                Entry entry, Reply reply,
                                std::vector<Entry>* next,
                                const ReplyFn& on_reply,
                                RetryState* state) const {
  const Status status = reply.ToStatus();
  if (status.code() == ErrorCode::kMoved || status.code() == ErrorCode::kAsk) {
    Result<Redirect> redirect = ParseRedirect(reply.text(), group.node);
    if (redirect.ok()) {
      (redirect->ask ? ClientMetrics::Get().ask : ClientMetrics::Get().moved)
          ->Add();
      entry.redirect = redirect->target;
      entry.asking = redirect->ask;
      if (!redirect->ask) state->refresh = true;
      // Nodes that disagree for a moment while a slot changes hands send a
      // command back and forth: after two redirections in a row, wait for
      // them to agree instead of spending the attempts at once.
      if (++entry.redirects > 2) state->backoff = true;
      state->last_error = AtNode(status, group.node, command);
      next->push_back(std::move(entry));
      return;
    }
  } else if (status.code() == ErrorCode::kUnavailable) {
    ClientMetrics::Get().resends->Add();
    entry.redirect.reset();
    entry.asking = false;
    entry.master_only = entry.master_only || group.readonly;
    state->last_error = AtNode(status, group.node, command);
    state->backoff = state->refresh = true;
    next->push_back(std::move(entry));
    return;
  }
  on_reply(entry.index, std::move(reply));
}

std::chrono::milliseconds ClusterRouter::Backoff(int retry) const {
  std::chrono::milliseconds wait = cluster_options_.min_backoff;
  for (int i = 0; i < retry && wait < cluster_options_.max_backoff; ++i)
    wait *= 2;
  return std::min(wait, cluster_options_.max_backoff);
}

Status ClusterRouter::WithMasterConnection(
    uint16_t slot, const std::function<Status(Connection&)>& fn) {
  Result<std::shared_ptr<const SlotMap>> map = topology_.CurrentMap();
  if (!map.ok()) return map.status();
  const SlotRange* range = (*map)->Find(slot);
  if (range == nullptr) {
    return Status(ErrorCode::kNoNode,
                  "cluster: no node serves slot " + std::to_string(slot));
  }
  const std::string context = "cluster node " + range->master.ToString();
  std::shared_ptr<ConnectionPool> pool =
      topology_.PoolFor(range->master, /*readonly=*/false);
  Result<PooledConnection> lease = pool->Acquire();
  if (!lease.ok()) return lease.status().WithContext(context);
  return replica_ack_.RunThenWait(**lease, fn).WithContext(context);
}

Status ClusterRouter::ForEachMaster(
    const std::function<Status(NodeSession&)>& fn) {
  Result<std::shared_ptr<const SlotMap>> map = topology_.CurrentMap();
  if (!map.ok()) return map.status();
  for (const Endpoint& master : (*map)->Masters()) {
    std::shared_ptr<ConnectionPool> pool =
        topology_.PoolFor(master, /*readonly=*/false);
    NodeSession session(pool.get());
    TFRA_REDIS_RETURN_IF_ERROR(
        fn(session).WithContext("cluster node " + master.ToString()));
  }
  return Status::Ok();
}

}  // namespace redis_client
}  // namespace tfra

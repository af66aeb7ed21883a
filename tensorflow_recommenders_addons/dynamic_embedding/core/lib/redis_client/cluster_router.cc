#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/cluster_router.h"

#include <algorithm>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <utility>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/endpoint_provider.h"

namespace tfra {
namespace redis_client {
namespace {

Status AtNode(const Status& status, const Endpoint& node,
              const Command& command) {
  return status.WithContext("node " + node.ToString() + ", " +
                            DescribeCommand(command));
}

Result<int> ParseNumber(std::string_view text, int max) {
  if (text.empty() || text.size() > 5)
    return Status(ErrorCode::kProtocol, "bad number");
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return Status(ErrorCode::kProtocol, "bad number");
    value = value * 10 + (c - '0');
  }
  if (value > max) return Status(ErrorCode::kProtocol, "number out of range");
  return value;
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
};

// The entries one attempt sends to one node, as one pipeline.
struct ClusterRouter::Group {
  Endpoint node;
  bool readonly = false;
  bool routed = true;           // false: no node serves these slots now
  std::vector<size_t> members;  // indexes into the pending entries
  Status failure;                // of the pipeline as a whole
  std::vector<uint8_t> answered;  // per member: a reply was read
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

Result<Redirect> ParseRedirect(std::string_view error_text,
                               const Endpoint& replied_by) {
  const size_t first_space = error_text.find(' ');
  const size_t second_space = error_text.find(' ', first_space + 1);
  const size_t colon = error_text.rfind(':');
  if (first_space == std::string_view::npos ||
      second_space == std::string_view::npos ||
      colon == std::string_view::npos || colon < second_space) {
    return Status(ErrorCode::kProtocol,
                  "bad redirection: " + EscapeBytes(error_text, 128));
  }
  Redirect redirect;
  redirect.ask = error_text.substr(0, first_space) == "ASK";
  Result<int> slot = ParseNumber(
      error_text.substr(first_space + 1, second_space - first_space - 1),
      16383);
  Result<int> port = ParseNumber(error_text.substr(colon + 1), 65535);
  if (!slot.ok() || !port.ok() || *port == 0) {
    return Status(ErrorCode::kProtocol,
                  "bad redirection: " + EscapeBytes(error_text, 128));
  }
  redirect.slot = static_cast<uint16_t>(*slot);
  const std::string_view host =
      error_text.substr(second_space + 1, colon - second_space - 1);
  redirect.target =
      Endpoint{host.empty() ? replied_by.host : std::string(host), *port};
  return redirect;
}

ClusterRouter::ClusterRouter(const ClientOptions& options)
    : seeds_(options.endpoints),
      connection_options_(options.connection),
      pool_options_(options.pool),
      cluster_options_(options.cluster),
      read_from_replicas_(options.read_from_replicas) {}

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
    std::shared_ptr<const SlotMap> map = Snapshot(&seen_version);
    if (map == nullptr) {
      Status refreshed = RefreshUnlessNewer(seen_version);
      if (refreshed.code() == ErrorCode::kAuth) return refreshed;
      if (!refreshed.ok()) state.last_error = refreshed;
      state.backoff = !refreshed.ok();
      continue;
    }
    std::vector<Group> groups =
        GroupByNode(commands, pending, *map,
                    prefer_replicas && read_from_replicas_, &state);
    auto run_group = [&](size_t g) {
      RunGroup(commands, pending, on_reply, &groups[g]);
    };
    if (executor != nullptr) {
      executor->ParallelFor(groups.size(), run_group);
    } else if (groups.size() < 2) {
      for (size_t g = 0; g < groups.size(); ++g) run_group(g);
    } else {
      RunGroupsInterleaved(commands, pending, on_reply, &groups);
    }
    pending = Settle(commands, pending, &groups, on_reply, &state);
    if (!state.fatal.ok()) return state.fatal;
    // A failed refresh is not fatal: the next attempt retries it.
    if (state.refresh && !pending.empty()) RefreshUnlessNewer(seen_version);
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
  std::map<PoolKey, size_t> group_of;
  Group unrouted;
  unrouted.routed = false;
  for (size_t p = 0; p < pending.size(); ++p) {
    const Entry& entry = pending[p];
    const uint16_t slot = commands[entry.index].slot;
    PoolKey key;
    if (entry.redirect.has_value()) {
      key = PoolKey(*entry.redirect, false);
    } else if (const SlotRange* range = map.Find(slot)) {
      const size_t replicas = range->replicas.size();
      // slot % replicas spreads slots over replicas deterministically.
      key = use_replicas && !entry.master_only && replicas > 0
                ? PoolKey(range->replicas[slot % replicas], true)
                : PoolKey(range->master, false);
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
// redirected by ASK, and its reply is dropped.
struct ClusterRouter::GroupPipeline {
  static constexpr size_t kAsking = ~size_t{0};
  CommandRefs refs;
  std::vector<size_t> member_of;  // per ref: member position, or kAsking
};

ClusterRouter::GroupPipeline ClusterRouter::PipelineOf(
    const std::vector<SlotCommand>& commands, const std::vector<Entry>& pending,
    Group* group) const {
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
  group->answered.assign(group->members.size(), 0);
  return pipeline;
}

ReplyFn ClusterRouter::GroupReplyFn(const GroupPipeline& pipeline,
                                    const std::vector<Entry>& pending,
                                    const ReplyFn& on_reply, Group* group) {
  return [&pipeline, &pending, &on_reply, group](size_t ref, Reply&& reply) {
    const size_t k = pipeline.member_of[ref];
    // A failed ASKING shows in the reply of the command after it.
    if (k == GroupPipeline::kAsking) return;
    group->answered[k] = 1;
    if (MayBeRetried(reply)) {
      group->to_settle.emplace_back(k, std::move(reply));
    } else {
      on_reply(pending[group->members[k]].index, std::move(reply));
    }
  };
}

void ClusterRouter::RunGroup(const std::vector<SlotCommand>& commands,
                             const std::vector<Entry>& pending,
                             const ReplyFn& on_reply, Group* group) {
  if (!group->routed) return;
  const GroupPipeline pipeline = PipelineOf(commands, pending, group);
  std::shared_ptr<ConnectionPool> pool = PoolFor(group->node, group->readonly);
  group->failure = RunPipelineOnPool(
      *pool, pipeline.refs, GroupReplyFn(pipeline, pending, on_reply, group));
}

void ClusterRouter::RunGroupsInterleaved(
    const std::vector<SlotCommand>& commands, const std::vector<Entry>& pending,
    const ReplyFn& on_reply, std::vector<Group>* groups) {
  std::vector<GroupPipeline> pipelines;
  pipelines.reserve(groups->size());
  std::vector<ReplyFn> reply_fns;
  reply_fns.reserve(groups->size());
  for (Group& group : *groups) {
    pipelines.push_back(PipelineOf(commands, pending, &group));
    reply_fns.push_back(
        GroupReplyFn(pipelines.back(), pending, on_reply, &group));
  }
  // Every node gets a window of its pipeline before any reply is read, and
  // is topped up after each of its replies, so the nodes work at once while
  // this thread waits on one of them.
  // Leases are taken in one global order (by node), so two calls that each
  // hold one node's last free connection never wait for each other's.
  std::vector<size_t> by_node(groups->size());
  for (size_t g = 0; g < by_node.size(); ++g) by_node[g] = g;
  std::sort(by_node.begin(), by_node.end(), [groups](size_t a, size_t b) {
    const Group& x = (*groups)[a];
    const Group& y = (*groups)[b];
    return std::tie(x.node, x.readonly) < std::tie(y.node, y.readonly);
  });
  // A lease points into its pool: the pools outlive the leases.
  std::vector<std::shared_ptr<ConnectionPool>> pools(groups->size());
  std::vector<std::optional<PooledConnection>> leases(groups->size());
  std::vector<std::optional<PipelineWindow>> windows(groups->size());
  for (size_t g : by_node) {
    Group& group = (*groups)[g];
    if (!group.routed) continue;
    pools[g] = PoolFor(group.node, group.readonly);
    Result<PooledConnection> lease = pools[g]->Acquire();
    if (!lease.ok()) {
      group.failure = lease.status();
      continue;
    }
    leases[g].emplace(std::move(lease).value());
    windows[g].emplace(&**leases[g], &pipelines[g].refs);
    group.failure = windows[g]->TopUp();
  }
  for (bool reading = true; reading;) {
    reading = false;
    for (size_t g : by_node) {
      Group& group = (*groups)[g];
      if (!windows[g].has_value() || !group.failure.ok() ||
          windows[g]->done()) {
        continue;
      }
      reading = true;
      group.failure = windows[g]->ReadNext(reply_fns[g]);
      if (group.failure.ok()) group.failure = windows[g]->TopUp();
    }
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
    if (group.failure.ok()) continue;
    const Command& first =
        *commands[pending[group.members.front()].index].command;
    const Status error = AtNode(group.failure, group.node, first);
    if (!error.IsTransient()) {
      state->fatal = error;
      return {};
    }
    state->last_error = error;
    state->backoff = state->refresh = true;
    // Resend those without a reply: whether they ran is unknown.
    for (size_t k = 0; k < group.members.size(); ++k) {
      if (group.answered[k]) continue;
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
      entry.redirect = redirect->target;
      entry.asking = redirect->ask;
      if (!redirect->ask) state->refresh = true;
      state->last_error = AtNode(status, group.node, command);
      next->push_back(std::move(entry));
      return;
    }
  } else if (status.code() == ErrorCode::kUnavailable) {
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

std::shared_ptr<ConnectionPool> ClusterRouter::PoolFor(const Endpoint& node,
                                                       bool readonly) {
  std::lock_guard<std::mutex> lock(pools_mu_);
  std::shared_ptr<ConnectionPool>& pool = pools_[PoolKey(node, readonly)];
  if (pool == nullptr) {
    pool = std::make_shared<ConnectionPool>(
        std::make_shared<FixedEndpointProvider>(node, readonly),
        connection_options_, pool_options_);
  }
  return pool;
}

std::shared_ptr<const SlotMap> ClusterRouter::Snapshot(
    uint64_t* version) const {
  std::lock_guard<std::mutex> lock(map_mu_);
  *version = map_version_;
  return map_;
}

Result<std::shared_ptr<const SlotMap>> ClusterRouter::CurrentMap() {
  uint64_t version = 0;
  std::shared_ptr<const SlotMap> map = Snapshot(&version);
  if (map != nullptr) return map;
  TFRA_REDIS_RETURN_IF_ERROR(RefreshUnlessNewer(version));
  map = Snapshot(&version);
  if (map == nullptr) return Status(ErrorCode::kNoNode, "cluster: no slot map");
  return map;
}

Status ClusterRouter::WithMasterConnection(
    uint16_t slot, const std::function<Status(Connection&)>& fn) {
  Result<std::shared_ptr<const SlotMap>> map = CurrentMap();
  if (!map.ok()) return map.status();
  const SlotRange* range = (*map)->Find(slot);
  if (range == nullptr) {
    return Status(ErrorCode::kNoNode,
                  "cluster: no node serves slot " + std::to_string(slot));
  }
  const std::string context = "cluster node " + range->master.ToString();
  std::shared_ptr<ConnectionPool> pool = PoolFor(range->master, false);
  Result<PooledConnection> lease = pool->Acquire();
  if (!lease.ok()) return lease.status().WithContext(context);
  return fn(**lease).WithContext(context);
}

Status ClusterRouter::Refresh() {
  uint64_t version = 0;
  Snapshot(&version);
  return RefreshUnlessNewer(version);
}

// Seeds and the nodes of `map`, in random order, so no single node (say, a
// dead first seed) is asked first every time.
std::vector<Endpoint> ClusterRouter::KnownNodes(const SlotMap* map) const {
  std::set<Endpoint> unique(seeds_.begin(), seeds_.end());
  if (map != nullptr) {
    for (const Endpoint& node : map->Nodes()) unique.insert(node);
  }
  std::vector<Endpoint> nodes(unique.begin(), unique.end());
  std::shuffle(nodes.begin(), nodes.end(),
               std::minstd_rand(std::random_device{}()));
  return nodes;
}

// Transport errors already name the node; reply errors get it added.
Result<SlotMap> ClusterRouter::FetchSlotMap(const Endpoint& node) const {
  Result<std::unique_ptr<Connection>> connection =
      Connection::Open(node, connection_options_);
  if (!connection.ok()) return connection.status();
  Result<Reply> reply = (*connection)->Run(ClusterSlots());
  if (!reply.ok()) return reply.status();
  Result<SlotMap> map = SlotMap::FromClusterSlots(reply->view(), node);
  if (!map.ok()) return map.status().WithContext(node.ToString());
  return map;
}

Status ClusterRouter::RefreshUnlessNewer(uint64_t seen_version) {
  std::lock_guard<std::mutex> refresh_lock(refresh_mu_);
  uint64_t version = 0;
  std::shared_ptr<const SlotMap> current = Snapshot(&version);
  if (version != seen_version) return Status::Ok();  // refreshed meanwhile
  StatusList errors;
  for (const Endpoint& node : KnownNodes(current.get())) {
    Result<SlotMap> map = FetchSlotMap(node);
    if (map.ok()) {
      auto fresh = std::make_shared<const SlotMap>(std::move(map).value());
      std::lock_guard<std::mutex> lock(map_mu_);
      map_ = std::move(fresh);
      ++map_version_;
      return Status::Ok();
    }
    errors.Add(map.status());
  }
  return errors.Combine("cluster: no node answered CLUSTER SLOTS");
}

Status ClusterRouter::ForEachMaster(
    const std::function<Status(NodeSession&)>& fn) {
  Result<std::shared_ptr<const SlotMap>> map = CurrentMap();
  if (!map.ok()) return map.status();
  for (const Endpoint& master : (*map)->Masters()) {
    std::shared_ptr<ConnectionPool> pool = PoolFor(master, false);
    NodeSession session(pool.get());
    TFRA_REDIS_RETURN_IF_ERROR(
        fn(session).WithContext("cluster node " + master.ToString()));
  }
  return Status::Ok();
}

}  // namespace redis_client
}  // namespace tfra

// Private Redis deployments for C++ tests. RedisServers runs the one launcher,
// tools/testing/redis_servers.py, as a child process ("serve" mode), reads the
// JSON description of the servers it started and forwards fault commands
// (kill, restart, pause, resume) to it. The child stops every server and
// removes their temp dir when this object is destroyed, and also when this
// process dies, since it sees EOF on its stdin.
//
// Kept independent of the client's Status type (it shares only its Mode) so
// that it can test any layer.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_TESTING_REDIS_SERVERS_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_TESTING_REDIS_SERVERS_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/mode.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/testing/child_process.h"

namespace tfra {
namespace redis_client {
namespace testing {

// Deployments are named by the client's Mode; ModeName(mode) is the
// launcher's --mode value.

struct StartOptions {
  std::string password;           // Empty: no requirepass.
  std::string acl_user;           // Empty: no ACL user. Needs acl_password.
  std::string acl_password;
  std::string sentinel_password;  // Sentinel mode: required by the sentinels.
  // Redis module files every data node loads (`loadmodule`), e.g. HMACCUM.
  std::vector<std::string> modules;
  // Empty: $TFRA_REDIS_SERVERS_PY if set, else the Bazel runfiles path
  // $TEST_SRCDIR/$TEST_WORKSPACE/tools/testing/redis_servers.py, else
  // tools/testing/redis_servers.py relative to the current directory.
  std::string script_path;
  // Empty: $TFRA_PYTHON if set, else "python3" from PATH.
  std::string python;
  // Standalone and Cluster: a fault proxy (tools/testing/fault_proxy.py) in
  // front of every node; a Cluster announces the proxies' ports, so a client
  // given them never talks to a node directly. See RedisServers::Proxy.
  bool with_proxies = false;
  // Cluster formation takes seconds; a loaded machine may need far more.
  std::chrono::seconds start_timeout{180};
  // Bounds each later command (restart waits for the server to answer).
  std::chrono::seconds command_timeout{90};
};

struct ServerNode {
  int port = 0;
  std::string role;   // "master" or "replica", as the node last reported it.
  int pid = 0;
  std::string state;  // "running", "paused" or "killed".
  int proxy_port = 0;  // with_proxies: the port clients use; else 0.
  // The port a client should connect to: the proxy's when there is one.
  int client_port() const { return proxy_port != 0 ? proxy_port : port; }
};

// The counters of a fault proxy (fault_proxy.FaultProxy.stats()).
struct ProxyStats {
  int commands = 0;  // forwarded to the node
  int replies = 0;   // received from the node (dropped ones included)
  std::vector<std::string> dropped;  // names of commands whose reply it ate
  int cuts = 0;
};

struct SentinelNode {
  int port = 0;
  int pid = 0;
  std::string state;
};

// The launcher's describe() JSON. Absent credentials are empty strings.
struct Description {
  std::string mode;
  std::string host;
  std::string dir;
  std::vector<ServerNode> nodes;
  std::vector<SentinelNode> sentinels;
  std::string master_name;
  std::string password;
  std::string acl_user;
  std::string acl_password;
  std::string sentinel_password;
};

// Parses one describe() line into `out`. Returns false and sets `error` when
// the text is not such a description.
bool ParseDescription(const std::string& json_line, Description* out,
                      std::string* error);

// One running deployment. Not thread-safe: use it from one thread.
class RedisServers {
 public:
  // Starts `mode` and waits until the launcher reports it healthy. Returns
  // nullptr and sets `error` (with the launcher's reason) on failure.
  static std::unique_ptr<RedisServers> Start(Mode mode,
                                             const StartOptions& options,
                                             std::string* error);

  // Stop(); any failure is dropped here, since a destructor cannot report it.
  ~RedisServers();
  RedisServers(const RedisServers&) = delete;
  RedisServers& operator=(const RedisServers&) = delete;

  Mode mode() const { return mode_; }
  const std::string& host() const { return description_.host; }
  const std::string& dir() const { return description_.dir; }
  const std::vector<ServerNode>& nodes() const { return description_.nodes; }
  const std::vector<SentinelNode>& sentinels() const {
    return description_.sentinels;
  }
  const std::string& master_name() const { return description_.master_name; }
  const std::string& password() const { return description_.password; }
  const std::string& acl_user() const { return description_.acl_user; }
  const std::string& acl_password() const { return description_.acl_password; }
  const std::string& sentinel_password() const {
    return description_.sentinel_password;
  }
  const Description& description() const { return description_; }

  // Ports of the data nodes in `role` ("master", "replica"; "" for all).
  std::vector<int> NodePorts(const std::string& role) const;

  // Fault injection on the node or sentinel listening on `port`; each updates
  // the description. Kill: SIGKILL. Restart: same port, config and dir, waits
  // until it answers. Pause/Resume: SIGSTOP/SIGCONT (a black hole).
  bool Kill(int port, std::string* error);
  bool Restart(int port, std::string* error);
  bool Pause(int port, std::string* error);
  bool Resume(int port, std::string* error);
  // A fault on the proxy in front of node `port` (with_proxies), e.g.
  // "drop_reply command=EXEC", "drop_reply nth=3 then=stall",
  // "cut_after n=2", "delay seconds=0.5", "black_hole", "heal" or "stats"
  // (the redis_servers.py `proxy` command); `stats` (may be null) gets the
  // proxy's counters after the action.
  bool Proxy(int port, const std::string& action, ProxyStats* stats,
             std::string* error);
  // Re-reads the description (roles change after a failover).
  bool Refresh(std::string* error);

  // The master port as the sentinels report it (sentinel mode), or the one
  // node (standalone). Returns -1 and sets `error` on failure.
  int MasterPort(std::string* error);

  // Stops every server, removes the dir and reaps the launcher. Idempotent.
  bool Stop(std::string* error);

 private:
  RedisServers(Mode mode, std::chrono::seconds command_timeout,
               std::unique_ptr<ChildProcess> launcher,
               Description description);

  // Sends one command line; on success stores the answer line in `answer`.
  bool Command(const std::string& line, std::string* answer,
               std::string* error);
  bool DescribingCommand(const std::string& line, std::string* error);

  Mode mode_;
  std::chrono::seconds command_timeout_;
  std::unique_ptr<ChildProcess> launcher_;  // Null once stopped.
  Description description_;
};

}  // namespace testing
}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_TESTING_REDIS_SERVERS_H_

"""The three topologies of a Deployment: standalone, cluster, sentinel.

Built by the factories of redis_servers.py, which is what tests import.
"""

import collections

from tools.testing import redis_process
from tools.testing.redis_deployments import ConnectionMode
from tools.testing.redis_deployments import Deployment
from tools.testing.redis_process import HOST
from tools.testing.redis_process import RedisServersError
from tools.testing.redis_process import START_TIMEOUT_S


class Standalone(Deployment):
  connection_mode = ConnectionMode.STANDALONE

  def __init__(self, persistence=None, **kwargs):
    super().__init__(**kwargs)
    if persistence not in (None, "aof"):
      raise ValueError(f"persistence is None or 'aof', not {persistence!r}")
    self.persistence = persistence

  def _start_topology(self):
    # appendfsync always: a write is on disk before its reply, so a node
    # killed and restarted has every acknowledged write.
    extra = (["appendonly yes", "appendfsync always"]
             if self.persistence == "aof" else [])
    settings = self._node_settings(extra)
    self._start_servers([self._add("redis", "master", settings)])


class Cluster(Deployment):
  connection_mode = ConnectionMode.CLUSTER

  def __init__(self, masters, replicas_per_master, node_timeout_ms, **kwargs):
    super().__init__(**kwargs)
    if masters < 3 or replicas_per_master < 0:
      raise ValueError(
          "a Redis cluster needs >= 3 masters and >= 0 replicas per master")
    self.masters, self.replicas_per_master = masters, replicas_per_master
    self.node_timeout_ms = node_timeout_ms

  def master_port(self):
    raise RedisServersError(
        "a cluster has one master per slot range; use node_ports('master')")

  def wait_settled(self, timeout=START_TIMEOUT_S):
    super().wait_settled(timeout)
    self.wait_for(self._cluster_settled, timeout,
                  "all nodes to agree on a healthy slot map with replicas")
    self.wait_for(self._replicas_synced, timeout,
                  "every replica to sync with its master")

  def _start_topology(self):
    settings = self._node_settings([
        "cluster-enabled yes", "cluster-config-file nodes.conf",
        f"cluster-node-timeout {self.node_timeout_ms}"
    ])
    count = self.masters * (1 + self.replicas_per_master)
    self._start_servers(
        [self._add("redis", "master", settings) for _ in range(count)])
    addresses = [f"{HOST}:{s.port}" for s in self._nodes]
    redis_process.run_cli(
        ["--cluster", "create"] + addresses +
        ["--cluster-replicas", self.replicas_per_master, "--cluster-yes"],
        password=self.password, timeout=START_TIMEOUT_S)
    self.wait_settled()

  def _cluster_settled(self):
    views = set()
    for server in self._nodes:
      info = self.redis_cli(server.port, "CLUSTER", "INFO")
      if "cluster_state:ok" not in info:
        raise RedisServersError(f"{server.name}: {info.splitlines()[:1]}")
      views.add(_cluster_view(self.redis_cli(server.port, "CLUSTER", "NODES")))
    if len(views) != 1:
      raise RedisServersError(f"nodes disagree: {sorted(views)}")
    roles = collections.Counter(row[2] for row in next(iter(views)))
    replicas = self.masters * self.replicas_per_master
    # Counter == Counter treats a missing role as 0 (no replicas at all).
    if roles != collections.Counter(master=self.masters, replica=replicas):
      raise RedisServersError(
          f"want {self.masters} masters, {replicas} replicas; see {views}")
    return True


def _cluster_view(text):
  """CLUSTER NODES -> sorted (id, addr, role, master id, slots) rows.

  Raises:
    RedisServersError: a node is failing, handshaking or disconnected.
  """
  rows = []
  for line in text.splitlines():
    fields = line.split()
    flags = set(fields[2].split(","))
    bad = flags & {"fail", "fail?", "handshake", "noaddr"}
    if bad or fields[7] != "connected":
      raise RedisServersError(f"unhealthy node in view: {line}")
    role = "master" if "master" in flags else "replica"
    rows.append((fields[0], fields[1].split("@")[0], role, fields[3],
                 tuple(fields[8:])))
  return tuple(sorted(rows))


class Sentinel(Deployment):
  connection_mode = ConnectionMode.SENTINEL

  def __init__(self, replicas, sentinels, down_after_ms, failover_timeout_ms,
               **kwargs):
    super().__init__(**kwargs)
    if replicas < 0 or sentinels < 1:
      raise ValueError("sentinel mode needs >= 0 replicas and >= 1 sentinel")
    self.replicas, self.sentinel_count = replicas, sentinels
    self.down_after_ms = down_after_ms
    self.failover_timeout_ms = failover_timeout_ms

  def master_port(self):
    """The master as most reachable sentinels report it."""
    votes, errors = collections.Counter(), []
    for server in self._sentinels:
      if server.running() and not server.paused:
        try:
          reply = self.redis_cli(server.port, "SENTINEL",
                                 "get-master-addr-by-name", self.master_name,
                                 timeout=2)
          votes[int(reply.split("\n")[1])] += 1
        except (RedisServersError, IndexError, ValueError) as e:
          errors.append(f"{server.name}: {e}")
    if not votes:
      raise RedisServersError(
          f"no sentinel reported master {self.master_name}: {errors}")
    return votes.most_common(1)[0][0]

  def wait_settled(self, timeout=START_TIMEOUT_S):
    super().wait_settled(timeout)
    self.wait_for(self._replicas_synced, timeout,
                  "every replica to sync with the master")
    self.wait_for(self._sentinels_agree, timeout,
                  "every sentinel to see the master, replicas and sentinels")

  def _start_topology(self):
    master = self._add("redis", "master", self._node_settings([]))
    self._start_servers([master])
    settings = self._node_settings([f"replicaof {HOST} {master.port}"])
    self._start_servers([
        self._add("redis", "replica", settings) for _ in range(self.replicas)
    ])
    settings = self._sentinel_settings(master.port)
    self._start_servers([
        self._add("sentinel", "sentinel", settings)
        for _ in range(self.sentinel_count)
    ])
    self.wait_settled()

  def _sentinel_settings(self, master_port):
    name, quote = self.master_name, redis_process.quote
    quorum = self.sentinel_count // 2 + 1
    settings = [
        f"sentinel monitor {name} {HOST} {master_port} {quorum}",
        f"sentinel down-after-milliseconds {name} {self.down_after_ms}",
        f"sentinel failover-timeout {name} {self.failover_timeout_ms}",
    ]
    if self.password is not None:
      settings.append(f"sentinel auth-pass {name} {quote(self.password)}")
    if self.sentinel_password is not None:
      # sentinel-pass is what the sentinels send to each other.
      settings += [f"requirepass {quote(self.sentinel_password)}",
                   f"sentinel sentinel-pass {quote(self.sentinel_password)}"]
    return settings

  def _sentinels_agree(self):
    want = {"port": str(self.master_port()), "flags": "master",
            "num-slaves": str(self.replicas),
            "num-other-sentinels": str(self.sentinel_count - 1)}
    for server in self._sentinels:
      lines = self.redis_cli(server.port, "SENTINEL", "MASTER",
                             self.master_name).split("\n")
      seen = {k: v for k, v in zip(lines[0::2], lines[1::2]) if k in want}
      if seen != want:
        raise RedisServersError(f"{server.name} sees {seen}, want {want}")
    return True

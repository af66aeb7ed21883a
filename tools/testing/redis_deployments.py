"""Deployment and its three topologies: standalone, cluster, sentinel.

Built by the factories of redis_servers.py, which is what tests import.
"""

import atexit
import collections
import shutil
import signal
import tempfile

from tools.testing import fault_proxy
from tools.testing import redis_process
from tools.testing.redis_process import HOST
from tools.testing.redis_process import RedisServersError
from tools.testing.redis_process import START_TIMEOUT_S

_DEFAULT = object()


class Deployment:
  """Redis processes on loopback ports, all files in one temp dir.

  Made by redis_servers.standalone(), .cluster() or .sentinel(); started by
  start() or `with`. Not thread-safe: drive a deployment from one thread.
  """

  mode = None

  def __init__(self, password=None, acl_user=None, acl_password=None,
               master_name=None, sentinel_password=None, with_proxies=False):
    if (acl_user is None) != (acl_password is None):
      raise ValueError("acl_user and acl_password go together")
    for text in (password, acl_user, acl_password, sentinel_password,
                 master_name):
      if text is not None and (not text or any(c in text for c in "\r\n\0 ")):
        raise ValueError(
            f"credentials and names must be non-empty, no blanks: {text!r}")
    self.host, self.dir, self.master_name = HOST, None, master_name
    self.password, self.sentinel_password = password, sentinel_password
    self.acl_user, self.acl_password = acl_user, acl_password
    self._nodes, self._sentinels, self._ports = [], [], set()
    # with_proxies: a fault_proxy.FaultProxy in front of each data node.
    self.with_proxies = with_proxies

  def start(self):
    """Starts all processes, waits until the topology is healthy; self."""
    if self.dir is not None:
      raise RedisServersError(f"{self.mode} already started in {self.dir}")
    self.dir = tempfile.mkdtemp(prefix=f"redis-{self.mode}-")
    atexit.register(self.stop)
    try:
      self._start_topology()
    except BaseException:
      self.stop()
      raise
    return self

  def stop(self):
    """Kills and reaps all processes, then removes the dir. Idempotent.

    Sentinels go first, so that none reacts to the death of the others.
    """
    for server in self._sentinels + self._nodes:
      server.kill()
    for server in self._nodes:
      if server.proxy is not None:
        server.proxy.stop()
    if self.dir is not None:
      shutil.rmtree(self.dir, ignore_errors=True)
    atexit.unregister(self.stop)

  def __enter__(self):
    return self.start() if self.dir is None else self

  def __exit__(self, *exc_info):
    self.stop()

  def describe(self):
    """The JSON-able description; roles as the nodes report them now."""
    self._refresh_roles()
    nodes = [dict(port=s.port, role=s.role, pid=s.pid, state=s.state(),
                  proxy_port=s.proxy.port if s.proxy else None)
             for s in self._nodes]
    sentinels = [dict(port=s.port, pid=s.pid, state=s.state())
                 for s in self._sentinels]
    return dict(mode=self.mode, host=self.host, dir=self.dir, nodes=nodes,
                sentinels=sentinels, master_name=self.master_name,
                password=self.password, acl_user=self.acl_user,
                acl_password=self.acl_password,
                sentinel_password=self.sentinel_password)

  def node_ports(self, role=None):
    """Data node ports; with `role` ("master", "replica") only those in it.

    A node that cannot answer (killed, paused) keeps its last seen role.
    """
    self._refresh_roles()
    return [s.port for s in self._nodes if role is None or s.role == role]

  def proxy(self, port):
    """The FaultProxy in front of the node on `port` (with_proxies=True)."""
    server = self._server(port)
    if server.proxy is None:
      raise RedisServersError(
          f"no proxy in front of {server.name}; start with with_proxies=True")
    return server.proxy

  def client_ports(self):
    """The ports clients use: the proxies' with_proxies, else the nodes'."""
    return [s.proxy.port if s.proxy else s.port for s in self._nodes]

  def kill_node(self, port):
    """SIGKILLs the node or sentinel on `port` and reaps it."""
    self._server(port).kill()

  def restart_node(self, port):
    """(Re)starts the process on `port`, same config and dir; waits for it."""
    server = self._server(port)
    server.kill()
    server.launch()
    server.wait_answers(self._password_of(server))

  def pause_node(self, port):
    """SIGSTOPs the process: its port accepts connections, never answers."""
    self._server(port).send(signal.SIGSTOP)

  def resume_node(self, port):
    self._server(port).send(signal.SIGCONT)

  def master_port(self):
    """The port of the master that clients write to."""
    return self._nodes[0].port

  def wait_settled(self, timeout=START_TIMEOUT_S):
    """Waits until all processes answer and the topology is healthy again."""
    for server in self._nodes + self._sentinels:
      server.wait_answers(self._password_of(server), timeout)

  def wait_for(self, predicate, timeout, what="condition"):
    """redis_process.wait_for() with this deployment's log tails on failure."""
    return redis_process.wait_for(predicate, timeout, what,
                                  context=self._log_tails)

  def redis_cli(self, port, *args, user=_DEFAULT, password=_DEFAULT,
                cluster=False, timeout=redis_process.CLI_TIMEOUT_S):
    """Runs redis-cli on 127.0.0.1:`port`; its stdout without the last newline.

    Credentials default to `password` (`sentinel_password` on a sentinel
    port); pass user=/password= to try others. Error replies come back as
    text, as redis-cli prints them; cluster=True follows MOVED/ASK (-c).

    Raises:
      RedisServersError: no connection, or no answer within `timeout` seconds.
    """
    if password is _DEFAULT:
      is_sentinel = any(s.port == port for s in self._sentinels)
      password = self.sentinel_password if is_sentinel else self.password
    args = ["-h", HOST, "-p", port] + (["-c"] if cluster else []) + list(args)
    user = None if user is _DEFAULT else user
    return redis_process.run_cli(args, user, password, timeout)

  def _start_topology(self):
    raise NotImplementedError

  def _server(self, port):
    for server in self._nodes + self._sentinels:
      if server.port == port:
        return server
    raise RedisServersError(f"no process of this {self.mode} has port {port}")

  def _password_of(self, server):
    if server.kind == "sentinel":
      return self.sentinel_password
    return self.password

  def _node_settings(self, extra):
    # No disk persistence; replicas sync at once, not after a 5 s batching wait.
    settings = ['save ""', "appendonly no", "repl-diskless-sync-delay 0"]
    if self.password is not None:
      quoted = redis_process.quote(self.password)
      settings += [f"requirepass {quoted}", f"masterauth {quoted}"]
    if self.acl_user is not None:
      rule = redis_process.quote(">" + self.acl_password)
      settings.append(f"user {self.acl_user} on {rule} ~* &* +@all")
    return settings + extra

  def _add(self, kind, role, settings):
    group = self._sentinels if kind == "sentinel" else self._nodes
    server = redis_process.RedisProcess(kind, len(group), self.dir, role,
                                        settings)
    group.append(server)
    if kind == "redis" and self.with_proxies:
      # Listens now, forwards once the node's port is known (_start_servers).
      server.proxy = fault_proxy.FaultProxy(
          None, redis_process.pick_port(self._ports)).start()
      if self.mode == "cluster":
        server.announce_port = server.proxy.port
    server.configure(redis_process.pick_port(self._ports))
    return server

  def _start_servers(self, servers):
    """Launches all (they boot in parallel), then waits for each.

    A server whose port another process took meanwhile gets a new port.
    """
    for server in servers:
      server.launch()
    for server in servers:
      for attempt in range(3):
        try:
          server.wait_answers(self._password_of(server))
          break
        except redis_process.PortTaken:
          if attempt == 2:
            raise
          server.configure(redis_process.pick_port(self._ports))
          server.launch()
      if server.proxy is not None:
        server.proxy.server_port = server.port

  def _refresh_roles(self):
    for server in self._nodes:
      if server.running() and not server.paused:
        try:
          reply = self.redis_cli(server.port, "ROLE", timeout=1)
        except RedisServersError:
          continue  # Keep the last seen role of a node that cannot answer.
        role = reply.split("\n")[0]
        if role in ("master", "slave"):
          server.role = "master" if role == "master" else "replica"

  def _replicas_synced(self):
    self._refresh_roles()
    for server in self._nodes:
      if server.role == "replica":
        info = self.redis_cli(server.port, "INFO", "replication")
        if "master_link_status:up" not in info:
          raise RedisServersError(f"{server.name} not synced: {info}")
    return True

  def _log_tails(self):
    return "".join(s.log_tail() for s in self._nodes + self._sentinels)


class Standalone(Deployment):
  mode = "standalone"

  def _start_topology(self):
    settings = self._node_settings([])
    self._start_servers([self._add("redis", "master", settings)])


class Cluster(Deployment):
  mode = "cluster"

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
  mode = "sentinel"

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

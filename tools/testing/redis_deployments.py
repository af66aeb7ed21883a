"""Deployment: what every kind of private Redis deployment shares.

Its three topologies (standalone, cluster, sentinel) are in
redis_topologies.py; redis_servers.py, which is what tests import, builds
them.
"""

import atexit
import enum
import json
import os
import shutil
import signal
import tempfile

from tools.testing import fault_proxy
from tools.testing import redis_process
from tools.testing import redis_tls
from tools.testing.redis_process import HOST
from tools.testing.redis_process import RedisServersError
from tools.testing.redis_process import START_TIMEOUT_S

_DEFAULT = object()


class ConnectionMode(enum.IntEnum):
  """The three kinds of deployment, valued as the table config's
  `redis_connection_mode` (docs/api_docs/tfra/dynamic_embedding/
  RedisBackend.md); a deployment's `mode` is the lower-case name."""
  CLUSTER = 0
  SENTINEL = 1
  STANDALONE = 2

  @property
  def mode(self):
    return self.name.lower()


class Deployment:
  """Redis processes on loopback ports, all files in one temp dir.

  Made by redis_servers.standalone(), .cluster() or .sentinel(); started by
  start() or `with`. Not thread-safe: drive a deployment from one thread.
  """

  connection_mode = None  # A ConnectionMode, set by each topology.

  @property
  def mode(self):
    """"standalone", "cluster" or "sentinel"."""
    return self.connection_mode.mode

  def __init__(self, password=None, acl_user=None, acl_password=None,
               master_name=None, sentinel_password=None, modules=(),
               with_proxies=False, tls=False, tls_client_certs=False,
               acl_rules=None):
    if (acl_user is None) != (acl_password is None):
      raise ValueError("acl_user and acl_password go together")
    # Every data node loads these (replicas too: they replay the commands).
    self.modules = [os.path.abspath(m) for m in modules]
    for module in self.modules:
      if not os.path.isfile(module):
        raise ValueError(f"no Redis module file at {module}")
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
    # tls: every data node also serves TLS (redis_tls.py) on a port of its
    # own; tls_client_certs: ... and requires a client certificate there.
    if with_proxies and tls:
      raise ValueError("with_proxies and tls do not go together")
    self.tls, self.tls_client_certs = tls, tls_client_certs
    self.tls_files = None
    # acl_rules: the rules of acl_user instead of every right (e.g.
    # "~test:* +hmget"), for least-privilege tests.
    if acl_rules is not None and acl_user is None:
      raise ValueError("acl_rules needs acl_user")
    self.acl_rules = acl_rules

  def start(self):
    """Starts all processes, waits until the topology is healthy; self."""
    if self.dir is not None:
      raise RedisServersError(f"{self.mode} already started in {self.dir}")
    self.dir = tempfile.mkdtemp(prefix=f"redis-{self.mode}-")
    atexit.register(self.stop)
    try:
      if self.tls:
        self.tls_files = redis_tls.make_certificates(
            os.path.join(self.dir, "tls"))
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
                  proxy_port=s.proxy.port if s.proxy else None,
                  tls_port=s.tls_port)
             for s in self._nodes]
    sentinels = [dict(port=s.port, pid=s.pid, state=s.state())
                 for s in self._sentinels]
    return dict(mode=self.mode, host=self.host, dir=self.dir, nodes=nodes,
                sentinels=sentinels, modules=self.modules,
                master_name=self.master_name,
                password=self.password, acl_user=self.acl_user,
                acl_password=self.acl_password,
                sentinel_password=self.sentinel_password,
                tls=self.tls_files._asdict() if self.tls_files else None)

  def table_config(self, **overrides):
    """A table's JSON config (a dict) that stores the table here.

    The keys that reach this deployment: `redis_connection_mode`, the
    addresses (the server; every Sentinel; every master as a Cluster seed),
    the Sentinel master name and the credentials. Then `overrides` (any
    other config key, or one of these replaced).
    """
    if self.connection_mode == ConnectionMode.SENTINEL:
      ports = [s.port for s in self._sentinels]
    else:  # The masters, through their proxies or TLS ports if any.
      ports = [self._client_port(self._server(port))
               for port in self.node_ports("master")]
    config = {"redis_connection_mode": int(self.connection_mode),
              "redis_host_ip": [self.host] * len(ports),
              "redis_host_port": ports}
    if self.connection_mode == ConnectionMode.SENTINEL:
      config["redis_master_name"] = self.master_name
    if self.sentinel_password is not None:
      config["redis_sentinel_password"] = self.sentinel_password
    if self.acl_user is not None:
      config.update(redis_user=self.acl_user, redis_password=self.acl_password)
    elif self.password is not None:
      config["redis_password"] = self.password
    if self.tls_files is not None:
      config.update(redis_tls=True, redis_tls_ca_file=self.tls_files.ca_file)
      if self.tls_client_certs:
        config.update(redis_tls_cert_file=self.tls_files.client_cert,
                      redis_tls_key_file=self.tls_files.client_key)
    config.update(overrides)
    return config

  def write_table_config(self, path, **overrides):
    """Writes `table_config(**overrides)` to the file `path`; returns `path`."""
    with open(path, "w", encoding="utf-8") as f:
      json.dump(self.table_config(**overrides), f, indent=1)
    return path

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
    """The ports clients use: the proxies' with_proxies, the TLS ports with
    tls, else the nodes'."""
    return [self._client_port(s) for s in self._nodes]

  @staticmethod
  def _client_port(server):
    if server.proxy:
      return server.proxy.port
    return server.tls_port or server.port

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
      rights = self.acl_rules if self.acl_rules is not None else "~* &* +@all"
      settings.append(f"user {self.acl_user} on {rule} {rights}")
    if self.tls_files is not None:
      settings += redis_tls.server_settings(
          self.tls_files, self.tls_client_certs,
          self.connection_mode == ConnectionMode.CLUSTER)
    settings += [f"loadmodule {redis_process.quote(m)}" for m in self.modules]
    if self.modules:
      # MODULE LOAD/UNLOAD from loopback clients, so tests can take a module
      # away from (and give it back to) a running deployment.
      settings.append("enable-module-command local")
    return settings + extra

  def _add(self, kind, role, settings):
    group = self._sentinels if kind == "sentinel" else self._nodes
    server = redis_process.RedisProcess(kind, len(group), self.dir, role,
                                        settings)
    group.append(server)
    if kind == "redis" and self.tls:
      server.tls_port = redis_process.pick_port(self._ports)
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

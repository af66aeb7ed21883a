"""One redis-server or redis-sentinel process; ports, redis-cli and polling.

The process floor under redis_deployments.py and redis_topologies.py. Tests
import redis_servers.py.
"""

import os
import shutil
import signal
import socket
import subprocess
import time

HOST = "127.0.0.1"
START_TIMEOUT_S = 60.0
CLI_TIMEOUT_S = 5.0
_POLL_S = 0.05
_BUS_PORT_OFFSET = 10000  # Redis Cluster listens on port + 10000 for its bus.
# Servers die with their starter even when it is SIGKILLed (no atexit then).
_DEATH_SIGNAL = (["setpriv", "--pdeathsig", "KILL"]
                 if shutil.which("setpriv") else [])


class RedisServersError(RuntimeError):
  """A deployment could not be started, controlled or queried."""


class Fatal(RedisServersError):
  """Waiting longer cannot help (a process exited); wait_for re-raises it."""


class PortTaken(Fatal):
  """Another process bound the picked port before the server did."""


def wait_for(predicate, timeout, what, interval=_POLL_S, context=None):
  """Polls `predicate` until it returns a truthy value, and returns that value.

  An exception from `predicate` counts as "not yet" and is the last seen state.

  Raises:
    RedisServersError: after `timeout` seconds, naming `what`, the last seen
      state and `context()` (log tails) when given.
  """
  deadline = time.monotonic() + timeout
  while True:
    try:
      value = predicate()
      if value:
        return value
      last = repr(value)
    except Fatal:
      raise
    except Exception as e:  # pylint: disable=broad-except
      last = f"{type(e).__name__}: {e}"
    if time.monotonic() >= deadline:
      raise RedisServersError(
          f"timed out after {timeout:.1f}s waiting for {what}; "
          f"last seen: {last}{context() if context else ''}")
    time.sleep(interval)


def binary(name):
  """Path of a Redis executable: PATH first, then /usr/bin."""
  path = shutil.which(name) or os.path.join("/usr/bin", name)
  if not os.access(path, os.X_OK):
    raise RedisServersError(
        f"{name} not found on PATH or in /usr/bin; run tools/install_deps.sh")
  return path


def run_cli(args, user=None, password=None, timeout=CLI_TIMEOUT_S):
  """Runs redis-cli `args`; returns stdout without the last newline.

  The password travels in REDISCLI_AUTH so that no argv shows it. Error
  replies come back as text, as redis-cli prints them.

  Raises:
    RedisServersError: redis-cli failed (no connection) or ran past `timeout`.
  """
  argv = [binary("redis-cli")] + (["--user", user] if user else [])
  argv += [str(a) for a in args]
  env = {k: v for k, v in os.environ.items() if k != "REDISCLI_AUTH"}
  if password is not None:
    env["REDISCLI_AUTH"] = password
  command = " ".join(argv)
  try:
    res = subprocess.run(argv, env=env, capture_output=True, text=True,
                         timeout=timeout, check=False)
  except subprocess.TimeoutExpired:
    raise RedisServersError(f"{command}: no answer within {timeout}s") from None
  if res.returncode != 0:
    output = (res.stdout + res.stderr).strip()
    raise RedisServersError(f"{command}: exit {res.returncode}: {output}")
  return res.stdout.rstrip("\n")


def quote(text):
  """`text` as one double-quoted redis.conf argument."""
  return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _sanitizer_runtimes(module):
  """The sanitizer runtimes (libasan, libtsan, ...) `module` links, as ldd
  resolves them: a module built under --config=asan/tsan needs its runtime
  loaded first into a redis-server that was not built with it."""
  try:
    listed = subprocess.run(["ldd", module], capture_output=True, text=True,
                            check=False).stdout
  except OSError:
    return []
  runtimes = []
  for line in listed.splitlines():
    name, _, resolved = line.partition("=>")
    if any(lib in name for lib in ("libasan", "libtsan", "libubsan")):
      runtimes.append(resolved.split("(")[0].strip())
  return [path for path in runtimes if path]


def server_env(settings):
  """The environment of a server with `settings`: ours, plus LD_PRELOAD of
  what a sanitizer-built module needs (leak checks off: the leaks at exit
  would be redis-server's, not the module's)."""
  modules = [line[len("loadmodule "):].strip().strip('"')
             for line in settings if line.startswith("loadmodule ")]
  runtimes = sorted({r for m in modules for r in _sanitizer_runtimes(m)})
  if not runtimes:
    return None
  env = dict(os.environ, LD_PRELOAD=" ".join(runtimes))
  env["ASAN_OPTIONS"] = "detect_leaks=0"
  return env


def _bind(port):
  """Binds `port` (0: any) on loopback, closes at once; the port or None."""
  with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    try:
      s.bind((HOST, port))
    except OSError:
      return None
    return s.getsockname()[1]


def pick_port(taken):
  """A free loopback port whose cluster bus port is free too.

  Both are added to `taken`, so that one deployment never picks a port twice.
  """
  for _ in range(200):
    port = _bind(0)
    bus = port + _BUS_PORT_OFFSET
    if bus <= 65535 and not {port, bus} & taken and _bind(bus):
      taken.update((port, bus))
      return port
  raise RedisServersError(
      "found no free port pair (port, port + 10000) on 127.0.0.1")


class RedisProcess:
  """A redis-server or redis-sentinel process with its dir, config and log.

  `kind` is "redis" or "sentinel"; `settings` are redis.conf lines, to which
  configure() adds port, bind, dir and logging.
  """

  def __init__(self, kind, index, root, role, settings):
    self.kind, self.role, self.settings = kind, role, settings
    self.dir = os.path.join(root, f"{kind}-{index}")
    os.mkdir(self.dir)
    self.conf = os.path.join(self.dir, f"{kind}.conf")
    self.log = os.path.join(self.dir, f"{kind}.log")
    self.port = self.proc = None
    self.paused = False
    # Cluster behind a proxy: the port the node tells clients and other nodes
    # (CLUSTER SLOTS, MOVED, ASK) instead of its own; its bus stays direct.
    self.announce_port = None
    self.proxy = None  # a fault_proxy.FaultProxy in front of it, if any
    self.tls_port = None  # TLS deployments: the port serving TLS

  @property
  def name(self):
    return f"{self.kind} {HOST}:{self.port}"

  @property
  def pid(self):
    return self.proc.pid if self.proc else None

  def running(self):
    return self.proc is not None and self.proc.poll() is None

  def state(self):
    if not self.running():
      return "killed"
    return "paused" if self.paused else "running"

  def configure(self, port):
    self.port = port
    lines = [f"port {port}", f"bind {HOST}", f"dir {quote(self.dir)}",
             'logfile ""']
    if self.tls_port is not None:
      # With tls-cluster the bus would follow the TLS port: keep it on the
      # port pick_port reserved for it.
      lines += [f"tls-port {self.tls_port}",
                f"cluster-port {port + _BUS_PORT_OFFSET}"]
    if self.announce_port is not None:
      lines += [f"cluster-announce-ip {HOST}",
                f"cluster-announce-port {self.announce_port}",
                f"cluster-announce-bus-port {port + _BUS_PORT_OFFSET}"]
    with open(self.conf, "w", encoding="utf-8") as f:
      f.write("\n".join(lines + self.settings) + "\n")
    # A retry on a new port must not see the old bind error.
    open(self.log, "wb").close()

  def launch(self):
    program = "redis-sentinel" if self.kind == "sentinel" else "redis-server"
    with open(self.log, "ab") as log:
      self.proc = subprocess.Popen(
          _DEATH_SIGNAL + [binary(program), self.conf], cwd=self.dir,
          env=server_env(self.settings), stdin=subprocess.DEVNULL,
          stdout=log, stderr=log)
    self.paused = False

  def kill(self):
    """SIGKILLs (which ends a SIGSTOPped process too) and reaps the process."""
    if self.proc is not None:
      if self.proc.poll() is None:
        self.proc.kill()
      self.proc.wait()
    self.paused = False

  def send(self, sig):
    """Sends SIGSTOP or SIGCONT."""
    if not self.running():
      raise RedisServersError(f"{self.name} is not running")
    os.kill(self.proc.pid, sig)
    self.paused = sig == signal.SIGSTOP

  def wait_answers(self, password, timeout=START_TIMEOUT_S):
    """Waits until this very process answers on its port."""

    def answers():
      if not self.running():
        tail = self.log_tail()
        error = PortTaken if "Address already in use" in tail else Fatal
        raise error(f"{self.name} exited with code {self.proc.returncode}"
                    f"{tail}")
      # A foreign server that took the port first must not pass for ours.
      info = run_cli(["-h", HOST, "-p", self.port, "INFO", "server"],
                     password=password, timeout=1)
      return f"process_id:{self.pid}" in info.split()

    wait_for(answers, timeout, f"{self.name} (pid {self.pid}) to answer",
             context=self.log_tail)

  def log_tail(self, lines=8):
    try:
      with open(self.log, encoding="utf-8", errors="replace") as f:
        tail = f.read().splitlines()[-lines:]
    except OSError as e:
      tail = [f"(no log: {e})"]
    indented = "\n    ".join(tail)
    return f"\n  log tail of {self.name} ({self.log}):\n    {indented}"

"""Private redis-server processes on free loopback ports, and a byte-exact dump of their keys.

Self-contained (stdlib only) so it runs inside the upstream-TFRA virtualenv. Every process
started here is tracked by pid and stopped by stop(); nothing else is ever touched.

    with PrivateRedis() as redis:
      port = redis.start_standalone()
      ports = redis.start_cluster(3)
"""

import ctypes
import os
import signal
import shutil
import socket
import subprocess
import tempfile
import time

from resp_client import RespClient, RespError

# Dump connections announce themselves with this ECHO so MONITOR summaries can drop them.
DUMP_MARKER = b"tfra-compat-dump"


def free_port():
  with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
    sock.bind(("127.0.0.1", 0))
    return sock.getsockname()[1]


def wait_until(predicate, timeout_s, what):
  deadline = time.monotonic() + timeout_s
  last_error = None
  while time.monotonic() < deadline:
    try:
      if predicate():
        return
    except (OSError, ConnectionError, RespError) as error:
      last_error = error
    time.sleep(0.05)
  raise TimeoutError(f"timed out after {timeout_s}s waiting for {what} (last error: {last_error})")


def _die_with_parent():
  """Child-side: SIGKILL the server if the process that started it dies (PR_SET_PDEATHSIG)."""
  ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)


def _ping(port):
  with RespClient(port, timeout_s=1) as client:
    return client.command("PING") == b"PONG"


class PrivateRedis:
  """Owns redis-server processes and their temp dir."""

  def __init__(self):
    self.dir = tempfile.mkdtemp(prefix="tfra-compat-redis-")
    self.processes = {}  # port -> Popen

  def __enter__(self):
    return self

  def __exit__(self, *exc_info):
    self.stop()

  def _start_server(self, extra_args, attempts=5):
    """Starts one server and waits for PONG; a lost port race is retried on a new port."""
    for _ in range(attempts):
      port = free_port()
      work = os.path.join(self.dir, str(port))
      os.makedirs(work)
      log = os.path.join(work, "redis.log")
      args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
              "--appendonly", "no", "--dir", work, "--logfile", log]
      proc = subprocess.Popen(args + extra_args, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              preexec_fn=_die_with_parent)
      self.processes[port] = proc
      wait_until(lambda p=port, pr=proc: pr.poll() is not None or _ping(p), 20,
                 f"redis-server on port {port}")
      if proc.poll() is None:
        return port
      del self.processes[port]
      with open(log, errors="replace") as f:
        last_log = f.read()[-2000:]
    raise RuntimeError(f"redis-server did not start in {attempts} attempts; last log:\n{last_log}")

  def start_standalone(self, extra_args=()):
    """`extra_args`: more redis-server arguments, e.g. ["--loadmodule", path]."""
    return self._start_server(list(extra_args))

  def start_cluster(self, masters=3, extra_args=()):
    ports = [
        self._start_server(["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                            "--cluster-node-timeout", "5000"] + list(extra_args))
        for _ in range(masters)
    ]
    subprocess.run(["redis-cli", "--cluster", "create"] + [f"127.0.0.1:{p}" for p in ports] +
                   ["--cluster-yes"], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE, timeout=60)
    for port in ports:
      wait_until(lambda p=port: _cluster_settled(p, masters), 60, f"cluster on port {port}")
    return ports

  def stop(self):
    for proc in self.processes.values():
      if proc.poll() is None:
        proc.terminate()
    for proc in self.processes.values():
      try:
        proc.wait(timeout=10)
      except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    self.processes.clear()
    shutil.rmtree(self.dir, ignore_errors=True)


def _cluster_settled(port, masters):
  with RespClient(port, timeout_s=1) as client:
    info = client.command("CLUSTER", "INFO").decode()
    if "cluster_state:ok" not in info:
      return False
    nodes = client.command("CLUSTER", "NODES").decode().splitlines()
  with_slots = [n for n in nodes if "master" in n.split()[2] and len(n.split()) > 8]
  return len(with_slots) == masters


def master_slot_ranges(port):
  """[[port, first slot, last slot]] of each master's first slot range, by first slot."""
  with RespClient(port) as client:
    lines = client.command("CLUSTER", "NODES").decode().splitlines()
  result = []
  for line in lines:
    parts = line.split()
    if "master" in parts[2] and len(parts) > 8:
      first, _, last = parts[8].partition("-")
      result.append([int(parts[1].split("@")[0].rsplit(":", 1)[1]), int(first),
                     int(last or first)])
  return sorted(result, key=lambda r: r[1])


def flush_all(ports):
  for port in ports:
    with RespClient(port) as client:
      client.command("ECHO", DUMP_MARKER)
      client.command("FLUSHALL")


def _scan_keys(client):
  keys, cursor = set(), b"0"
  while True:
    cursor, page = client.command("SCAN", cursor, "COUNT", 1000)
    keys.update(page)
    if cursor == b"0":
      return sorted(keys)


def readable(data):
  """bytes -> printable text with \\xNN escapes (for humans; the hex is authoritative)."""
  return "".join(chr(b) if 0x20 <= b < 0x7f and b != 0x5c else "\\x%02x" % b for b in data)


def dump_keys(ports):
  """Every key on every node: {key hex: {"type", "name", "node", "ttl", "fields"|"value"}}."""
  result = {}
  for node, port in enumerate(ports):
    with RespClient(port) as client:
      client.command("ECHO", DUMP_MARKER)
      for key in _scan_keys(client):
        kind = client.command("TYPE", key).decode()
        entry = {"type": kind, "name": readable(key), "node": node,
                 "ttl": client.command("TTL", key)}
        if kind == "hash":
          flat = client.command("HGETALL", key)
          pairs = {flat[i].hex(): flat[i + 1].hex() for i in range(0, len(flat), 2)}
          entry["fields"] = dict(sorted(pairs.items()))
        elif kind == "string":
          entry["value"] = client.command("GET", key).hex()
        result[key.hex()] = entry
  return dict(sorted(result.items()))


def ttls(ports):
  """{key hex: TTL seconds} for every key on every node."""
  result = {}
  for port in ports:
    with RespClient(port) as client:
      client.command("ECHO", DUMP_MARKER)
      for key in _scan_keys(client):
        result[key.hex()] = client.command("TTL", key)
  return dict(sorted(result.items()))

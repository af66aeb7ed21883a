"""Tests of the fault proxy against real redis-server processes.

The client is a raw socket speaking RESP (or redis-cli), so what arrives is
exactly what the proxy let through; what ran is read from the node directly.
"""

import os
import socket
import sys
import time

import pytest

from tools.testing import redis_servers
from tools.testing import resp_framing

_WAIT_S = 10.0


@pytest.fixture(name="standalone", scope="module")
def _standalone():
  with redis_servers.standalone(with_proxies=True) as deployment:
    yield deployment


@pytest.fixture(name="node")
def _node(standalone):
  """(deployment, node port, proxy) with every fault of the proxy healed."""
  (port,) = standalone.node_ports()
  proxy = standalone.proxy(port)
  proxy.heal()
  yield standalone, port, proxy
  proxy.heal()


def _command(*args):
  parts = [f"*{len(args)}\r\n".encode()]
  for arg in args:
    arg = arg if isinstance(arg, bytes) else str(arg).encode()
    parts += [f"${len(arg)}\r\n".encode(), arg, b"\r\n"]
  return b"".join(parts)


def _connect(port, timeout=_WAIT_S):
  sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
  return sock


def _replies(sock, count):
  """Reads `count` replies; returns them as raw byte strings."""
  buf, replies, pos = bytearray(), [], 0
  while len(replies) < count:
    end = resp_framing.reply_end(buf, pos)
    if end is None:
      data = sock.recv(1 << 16)
      assert data, f"connection closed after {len(replies)} replies"
      buf += data
      continue
    replies.append(bytes(buf[pos:end]))
    pos = end
  assert pos == len(buf), "more bytes than the replies asked for"
  return replies


def _read_until_closed(sock):
  """Everything the proxy sends until it closes the connection."""
  data = b""
  while True:
    chunk = sock.recv(1 << 16)
    if not chunk:
      return data
    data += chunk


def _key(name):
  return "{fp}" + name + str(time.monotonic_ns())


def test_pipelines_pass_intact_and_each_command_counts(node):
  d, port, proxy = node
  key, big = _key("big"), os.urandom(1 << 20)
  before = proxy.stats()
  with _connect(d.client_ports()[0]) as sock:
    sock.sendall(b"".join(_command("SET", f"{key}{i}", i) for i in range(100))
                 + _command("SET", key, big) + _command("GET", key))
    replies = _replies(sock, 102)
  assert replies[:101] == [b"+OK\r\n"] * 101
  assert replies[101] == b"$%d\r\n%s\r\n" % (len(big), big)
  after = proxy.stats()
  assert after["commands"] - before["commands"] == 102
  assert after["replies"] - before["replies"] == 102
  assert d.redis_cli(port, "GET", f"{key}99") == "99"


def test_drop_reply_of_the_nth_command_after_the_server_ran_it(node):
  d, port, proxy = node
  key = _key("n")
  proxy.drop_reply(nth=3)
  with _connect(d.client_ports()[0]) as sock:
    sock.sendall(_command("INCR", key) * 5)
    assert _read_until_closed(sock) == b":1\r\n:2\r\n"
  assert int(d.redis_cli(port, "GET", key)) >= 3  # The third one ran.
  assert proxy.stats()["dropped"] == ["INCR"]


def test_drop_reply_of_exec_loses_the_answer_of_a_committed_transaction(node):
  d, port, proxy = node
  key = _key("tx")
  proxy.drop_reply(command="exec")
  with _connect(d.client_ports()[0]) as sock:
    sock.sendall(_command("MULTI") + _command("INCR", key) + _command("EXEC"))
    assert _read_until_closed(sock) == b"+OK\r\n+QUEUED\r\n"
  assert d.redis_cli(port, "GET", key) == "1"


def test_drop_reply_of_the_command_a_predicate_picks(node):
  d, port, proxy = node
  a, b = _key("a"), _key("b")
  proxy.drop_reply(where=lambda argv: argv[1] == b.encode())
  with _connect(d.client_ports()[0]) as sock:
    sock.sendall(_command("INCR", a))
    assert _replies(sock, 1) == [b":1\r\n"]
    sock.sendall(_command("INCR", b) + _command("INCR", a))
    assert _read_until_closed(sock) == b""
  assert d.redis_cli(port, "GET", b) == "1"


def test_stalled_drop_leaves_the_client_waiting_until_heal(node):
  d, port, proxy = node
  key = _key("stall")
  proxy.drop_reply(command="INCR", then="stall")
  with _connect(d.client_ports()[0], timeout=0.5) as sock:
    sock.sendall(_command("INCR", key))
    with pytest.raises(socket.timeout):
      sock.recv(100)
    assert d.redis_cli(port, "GET", key) == "1"
    sock.sendall(_command("PING"))  # Swallowed too: the link is silent.
    with pytest.raises(socket.timeout):
      sock.recv(100)
    proxy.heal()
    sock.settimeout(_WAIT_S)
    assert _read_until_closed(sock) == b""


def test_cut_after_n_answers_n_commands_and_the_rest_never_run(node):
  d, port, proxy = node
  key = _key("cut")
  proxy.cut_after(2)
  with _connect(d.client_ports()[0]) as sock:
    sock.sendall(_command("INCR", key) * 5)
    assert _read_until_closed(sock) == b":1\r\n:2\r\n"
  assert d.redis_cli(port, "GET", key) == "2"
  assert proxy.stats()["cuts"] == 1
  assert d.redis_cli(d.client_ports()[0], "PING") == "PONG"  # cut only once


def test_delayed_replies_arrive_late_and_intact(node):
  d, _, proxy = node
  proxy.delay_replies(0.3)
  with _connect(d.client_ports()[0]) as sock:
    start = time.monotonic()
    sock.sendall(_command("PING") + _command("ECHO", "x"))
    assert _replies(sock, 2) == [b"+PONG\r\n", b"$1\r\nx\r\n"]
    assert time.monotonic() - start >= 0.3


def test_black_hole_answers_nothing_forwards_nothing_until_heal(node):
  d, port, proxy = node
  key = _key("hole")
  with _connect(d.client_ports()[0], timeout=0.5) as old:
    old.sendall(_command("PING"))
    assert _replies(old, 1) == [b"+PONG\r\n"]
    proxy.black_hole()
    with _connect(d.client_ports()[0], timeout=0.5) as new:
      for sock in (old, new):
        sock.sendall(_command("SET", key, "1"))
        with pytest.raises(socket.timeout):
          sock.recv(100)
    assert d.redis_cli(port, "EXISTS", key) == "0"
    proxy.heal()
    old.settimeout(_WAIT_S)
    assert _read_until_closed(old) == b""  # Out of step: closed.
  assert d.redis_cli(d.client_ports()[0], "SET", key, "2") == "OK"


def test_fault_arguments_are_checked(node):
  _, _, proxy = node
  with pytest.raises(ValueError, match="then must be"):
    proxy.drop_reply(then="later")
  with pytest.raises(ValueError, match="nth counts from 1"):
    proxy.cut_after(0)


def test_cluster_announces_proxies_so_moved_leads_to_a_proxy():
  with redis_servers.cluster(with_proxies=True) as d:
    nodes = d.describe()["nodes"]
    proxy_of = {n["port"]: n["proxy_port"] for n in nodes}
    masters = [n["port"] for n in nodes if n["role"] == "master"]
    slots = d.redis_cli(proxy_of[masters[0]], "CLUSTER", "SLOTS")
    ports = {int(w) for w in slots.split("\n") if w.isdigit() and
             int(w) > 16383}
    assert ports and ports <= set(proxy_of.values())
    # A key the first master does not own: its proxy answers MOVED to the
    # owner's proxy, and the command succeeds there.
    key, moved = next((k, reply) for k, reply in (
        (f"k{i}", d.redis_cli(proxy_of[masters[0]], "SET", f"k{i}", "v"))
        for i in range(100)) if reply.startswith("MOVED"))
    target = int(moved.split()[-1].rsplit(":", 1)[1])
    owner = next(p for p, q in proxy_of.items() if q == target)
    assert owner in masters and owner != masters[0]
    before = d.proxy(owner).stats()["commands"]
    assert d.redis_cli(target, "SET", key, "v") == "OK"
    assert d.proxy(owner).stats()["commands"] == before + 1
    assert d.redis_cli(owner, "GET", key) == "v"
    # Replicas follow their masters through the proxies.
    for replica in (n["port"] for n in nodes if n["role"] == "replica"):
      info = d.redis_cli(replica, "INFO", "replication")
      assert "master_link_status:up" in info
      assert any(f"master_port:{proxy_of[m]}" in info for m in masters)


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

"""A TCP proxy between Redis clients and one redis-server, with faults on call.

Tests put a FaultProxy in front of a node (redis_servers.cluster(...,
with_proxies=True) does it for every node and makes the cluster announce the
proxies' ports), point the client at it, and while traffic flows tell it to:

- drop_reply(): swallow the reply of the nth command from now (or of the nth
  one whose name or argv matches) after the server ran it, then close that
  connection ("close", the client sees the connection drop with the reply
  missing) or leave it silent until heal() ("stall", the client times out);
- cut_after(n): let n more commands through and deliver their replies, then
  close the connection that carried the nth; later commands never reach the
  server;
- delay_replies(seconds): hold every reply that long;
- black_hole(): read and discard every byte in both directions, on every
  connection, new ones included, until heal();
- heal(): clear every fault and close the connections a fault left out of
  step (their client and server no longer agree on what was answered).

Commands count across all connections of the proxy, in the order the proxy
forwards them. Pipelines count command by command. A connection that turns
into a stream (replication after PSYNC, MONITOR, SUBSCRIBE) is forwarded raw
from then on, uncounted and without faults. While the node is down the
proxy accepts a connection and closes it at once (a client sees the
connection closed rather than refused). Loopback only. Thread-safe: the
fault methods may be called from any thread while traffic flows.
"""

import collections
import socket
import threading
import time

from tools.testing import resp_framing

HOST = "127.0.0.1"
_READ_BYTES = 1 << 16
# After these commands the connection is a stream, not request/reply.
_STREAM_COMMANDS = frozenset(
    [b"PSYNC", b"SYNC", b"MONITOR", b"SUBSCRIBE", b"PSUBSCRIBE", b"SSUBSCRIBE"])


class _Rule:
  """Counts matching commands down to the one a fault applies to."""

  def __init__(self, nth, command=None, where=None, then=None):
    if nth < 1:
      raise ValueError(f"nth counts from 1, got {nth}")
    self.left, self.then = nth, then
    self.name = command.upper().encode() if command else None
    self.where = where

  def hit(self, argv):
    """True when `argv` is the command this rule waits for."""
    if self.name is not None and argv[0].upper() != self.name:
      return False
    if self.where is not None and not self.where(argv):
      return False
    self.left -= 1
    return self.left == 0


class _Pending:
  """A forwarded command whose reply has not come back yet."""

  def __init__(self, name, drop=None, cut=False, stream=False):
    self.name, self.drop, self.cut, self.stream = name, drop, cut, stream


class _Link:
  """One client connection and its own connection to the server."""

  def __init__(self, client, server):
    self.client, self.server = client, server
    self.pending = collections.deque()  # guarded by the proxy's lock
    self.stream = False    # forwarded raw from now on
    self.cut = False       # forwards no more commands
    self.silent = False    # discards everything (a stalled drop)
    self.out_of_step = False  # a fault discarded bytes: heal() closes it
    self.closed = False

  def close(self):
    if self.closed:
      return
    self.closed = True
    for sock in (self.client, self.server):
      try:
        sock.shutdown(socket.SHUT_RDWR)
      except OSError:
        pass
      sock.close()


class FaultProxy:
  """Forwards 127.0.0.1:`port` to the server on 127.0.0.1:`server_port`.

  port=0 picks a free port (see .port once started).
  """

  def __init__(self, server_port, port=0):
    self.server_port, self.port = server_port, port
    self._lock = threading.Condition()
    self._links, self._threads = [], []
    self._drops, self._cut = [], None  # armed faults; guarded by _lock
    self._delay_s, self._black_hole = 0.0, False
    self._listener = None
    self.commands = self.replies = self.cuts = 0  # guarded by _lock
    self.dropped = []  # names of the commands whose reply was dropped

  # ---- life cycle

  def start(self):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, self.port))
    listener.listen(64)
    self._listener, self.port = listener, listener.getsockname()[1]
    self._spawn(self._accept_loop)
    return self

  def stop(self):
    """Closes the listener and every connection; joins the threads."""
    if self._listener is not None:
      try:
        self._listener.shutdown(socket.SHUT_RDWR)  # wakes accept()
      except OSError:
        pass
      self._listener.close()
    with self._lock:
      for link in self._links:
        link.close()
      self._lock.notify_all()
    for thread in list(self._threads):
      thread.join(timeout=10)

  def __enter__(self):
    return self.start()

  def __exit__(self, *exc_info):
    self.stop()

  # ---- faults

  def drop_reply(self, nth=1, command=None, where=None, then="close"):
    """Drops the reply of the nth matching command from now, after it ran.

    `command` matches the command name (case-insensitive), `where` is a
    predicate on the argv (a list of bytes); neither matches every command.
    `then` is "close" or "stall" (see the module docstring).
    """
    if then not in ("close", "stall"):
      raise ValueError(f"then must be 'close' or 'stall', got {then!r}")
    with self._lock:
      self._drops.append(_Rule(nth, command, where, then))

  def cut_after(self, n):
    """Closes the connection of the nth command from now after its reply."""
    with self._lock:
      self._cut = _Rule(n)

  def delay_replies(self, seconds):
    with self._lock:
      self._delay_s = float(seconds)

  def black_hole(self):
    with self._lock:
      self._black_hole = True

  def heal(self):
    """Back to plain forwarding; closes the connections faults left broken."""
    with self._lock:
      self._drops, self._cut = [], None
      self._delay_s, self._black_hole = 0.0, False
      for link in self._links:
        if link.out_of_step or link.silent:
          link.close()
      self._lock.notify_all()

  # ---- observation

  def stats(self):
    """A JSON-able snapshot of the counters."""
    with self._lock:
      return dict(self._stats_locked(), port=self.port,
                  server_port=self.server_port,
                  connections=sum(not link.closed for link in self._links))

  def wait_for(self, predicate, timeout):
    """Waits until predicate(stats()) holds; returns whether it did."""
    deadline = time.monotonic() + timeout
    with self._lock:
      while not predicate(self._stats_locked()):
        left = deadline - time.monotonic()
        if left <= 0:
          return False
        self._lock.wait(min(left, 0.05))
    return True

  def _stats_locked(self):
    return dict(commands=self.commands, replies=self.replies,
                dropped=list(self.dropped), cuts=self.cuts)

  # ---- forwarding

  def _spawn(self, target, *args):
    thread = threading.Thread(target=target, args=args, daemon=True,
                              name=f"fault-proxy-{self.port}")
    self._threads.append(thread)
    thread.start()

  def _accept_loop(self):
    while True:
      try:
        client, _ = self._listener.accept()
      except OSError:
        return  # stop() closed the listener
      try:
        server = socket.create_connection((HOST, self.server_port), timeout=5)
        server.settimeout(None)
      except OSError:
        client.close()  # The server is down: the client sees a closed socket.
        continue
      for sock in (client, server):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
      link = _Link(client, server)
      with self._lock:
        self._links = [old for old in self._links if not old.closed] + [link]
      self._spawn(self._pump_commands, link)
      self._spawn(self._pump_replies, link)

  def _pump_commands(self, link):
    """Client -> server: counts commands, arms their faults, forwards."""
    buf = bytearray()
    while True:
      data = _receive(link.client)
      if not data:
        break
      with self._lock:
        if link.stream:
          out = data
        else:
          buf += data
          out = self._take_commands(link, buf)
      if out and not _send(link.server, out):
        break
    with self._lock:
      link.close()

  def _take_commands(self, link, buf):
    """The bytes of the complete commands in `buf` to forward (under lock)."""
    out, pos = bytearray(), 0
    while not link.stream:
      try:
        framed = resp_framing.command_end(buf, pos)
      except resp_framing.ProtocolError:
        link.stream = True  # Not ours to understand: plain forwarding.
        break
      if framed is None:
        break
      end, argv = framed
      if argv and not self._admit(link, argv):
        link.out_of_step = True
      else:
        out += buf[pos:end]
      pos = end
    if link.stream:
      pos, out = len(buf), out + buf[pos:]
    del buf[:pos]
    return bytes(out)

  def _admit(self, link, argv):
    """Whether `argv` goes to the server; records what its reply needs."""
    if self._black_hole or link.silent or link.cut:
      return False
    self.commands += 1
    entry = _Pending(argv[0].upper().decode(errors="replace"))
    entry.stream = argv[0].upper() in _STREAM_COMMANDS
    for rule in list(self._drops):
      if rule.hit(argv):
        self._drops.remove(rule)
        entry.drop = rule.then
        break
    if self._cut is not None and self._cut.hit(argv):
      self._cut, entry.cut, link.cut = None, True, True
    link.pending.append(entry)
    if entry.stream:
      link.stream = True
    self._lock.notify_all()
    return True

  def _pump_replies(self, link):
    """Server -> client: matches replies to commands, applies faults."""
    buf = bytearray()
    while True:
      data = _receive(link.server)
      if not data:
        break
      with self._lock:
        buf += data
        out, due, close = self._take_replies(link, buf)
      if due > 0 and out:
        time.sleep(due)
      if out and not _send(link.client, out):
        break
      if close:
        break
    with self._lock:
      link.close()
      self._lock.notify_all()

  def _take_replies(self, link, buf):
    """(bytes to send, delay, close after) for the replies in `buf`."""
    out, pos, close = bytearray(), 0, False
    while pos < len(buf) and not close:
      if self._black_hole or link.silent:
        link.out_of_step = True
        pos = len(buf)
        break
      if not link.pending:  # Unasked bytes (a stream, a push): forward.
        out += buf[pos:]
        pos = len(buf)
        break
      try:
        end = resp_framing.reply_end(buf, pos)
      except resp_framing.ProtocolError:  # Not ours to understand: forward.
        link.stream = True
        link.pending.clear()
        continue
      if end is None:
        break
      if buf[pos] == resp_framing.PUSH:
        out += buf[pos:end]
        pos = end
        continue
      entry = link.pending.popleft()
      self.replies += 1
      if entry.drop is not None:
        self.dropped.append(entry.name)
        link.out_of_step = True
        close = entry.drop == "close"
        link.silent = not close
      else:
        out += buf[pos:end]
        close = entry.cut
        self.cuts += entry.cut
      if entry.stream:  # The rest is a stream: hand it over raw.
        link.stream = True
        out += buf[end:] if entry.drop is None else b""
        end = len(buf)
        link.pending.clear()
      pos = end
    del buf[:pos]
    self._lock.notify_all()
    return bytes(out), self._delay_s, close


def _receive(sock):
  try:
    return sock.recv(_READ_BYTES)
  except OSError:
    return b""


def _send(sock, data):
  try:
    sock.sendall(data)
    return True
  except OSError:
    return False

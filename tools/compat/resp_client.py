"""A minimal RESP2 client (stdlib only) and a MONITOR recorder, for the compat tools.

The compat tools run under a separate virtualenv holding upstream TFRA 0.8.1, so they cannot
depend on this project's own client code; they only need byte-exact HGETALL/SCAN/TTL and a
way to watch which commands upstream sends.

    with RespClient(port) as c:
      c.command("HSET", b"k", b"f", b"\\x00v")
      c.command("HGETALL", "k")  # -> [b"f", b"\\x00v"]
"""

import socket
import threading

HOST = "127.0.0.1"


class RespError(Exception):
  """An error reply ("-ERR ...") from the server."""


def _to_bytes(arg):
  if isinstance(arg, bytes):
    return arg
  return str(arg).encode()


class RespClient:
  """One blocking connection to 127.0.0.1:`port`. Not thread-safe."""

  def __init__(self, port, timeout_s=10.0):
    self.port = port
    self._sock = socket.create_connection((HOST, port), timeout=timeout_s)
    self._file = self._sock.makefile("rb")

  def __enter__(self):
    return self

  def __exit__(self, *exc_info):
    self.close()

  def close(self):
    try:
      self._file.close()
    finally:
      self._sock.close()

  def local_address(self):
    """"ip:port" of this end, as MONITOR prints it."""
    host, port = self._sock.getsockname()[:2]
    return f"{host}:{port}"

  def send(self, *args):
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
      data = _to_bytes(arg)
      parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    self._sock.sendall(b"".join(parts))

  def read_reply(self):
    """Returns bytes, int, None, list, or a RespError instance (not raised)."""
    line = self._file.readline()
    if not line.endswith(b"\r\n"):
      raise ConnectionError(f"connection to port {self.port} closed")
    kind, body = line[:1], line[1:-2]
    if kind == b"+":
      return body
    if kind == b"-":
      return RespError(body.decode(errors="replace"))
    if kind == b":":
      return int(body)
    if kind == b"$":
      size = int(body)
      if size < 0:
        return None
      data = self._file.read(size + 2)
      return data[:-2]
    if kind == b"*":
      count = int(body)
      return None if count < 0 else [self.read_reply() for _ in range(count)]
    raise ConnectionError(f"bad RESP type byte {kind!r} from port {self.port}")

  def command(self, *args):
    """Sends one command and returns its reply; error replies are raised."""
    self.send(*args)
    reply = self.read_reply()
    if isinstance(reply, RespError):
      raise reply
    return reply


_ESCAPES = {"n": b"\n", "r": b"\r", "t": b"\t", "a": b"\a", "b": b"\b", "\\": b"\\", '"': b'"'}


def parse_monitor_line(line):
  """Parses `1700000000.1 [0 127.0.0.1:5] "CMD" "arg\\x00"` into (client, [bytes args])."""
  open_at = line.index("[")
  close_at = line.index("]", open_at)
  client = line[open_at + 1:close_at].split(" ", 1)[1]
  args, i, text = [], close_at + 1, line
  while i < len(text):
    if text[i] != '"':
      i += 1
      continue
    i += 1
    arg = bytearray()
    while text[i] != '"':
      if text[i] == "\\":
        nxt = text[i + 1]
        if nxt == "x":
          arg.append(int(text[i + 2:i + 4], 16))
          i += 4
        else:
          arg += _ESCAPES.get(nxt, nxt.encode())
          i += 2
      else:
        arg += text[i].encode("latin-1")
        i += 1
    args.append(bytes(arg))
    i += 1
  return client, args


class MonitorRecorder:
  """Records every command a server receives (MONITOR) on a background thread."""

  def __init__(self, port):
    self.port = port
    self.lines = []
    self._client = RespClient(port, timeout_s=None)
    self._client.command("MONITOR")
    self._thread = threading.Thread(target=self._run, daemon=True)
    self._thread.start()

  def _run(self):
    try:
      while True:
        reply = self._client.read_reply()
        if isinstance(reply, bytes):
          self.lines.append(reply.decode("latin-1"))
    except (ConnectionError, OSError, ValueError):
      pass

  def stop(self):
    """Stops recording; returns [(client address, [args])]."""
    try:
      self._client._sock.shutdown(socket.SHUT_RDWR)  # pylint: disable=protected-access
    except OSError:
      pass
    self._thread.join(timeout=10)
    self._client.close()
    return [parse_monitor_line(line) for line in self.lines]

"""Byte-exact reads and writes of the keys of a private Redis, for the compat tools.

Dumps every key (raw bytes, as hex) and TTL, empties servers, loads a dump
back, and reads a cluster's slot ranges. Stdlib only (through resp_client),
so it runs under upstream TFRA's virtualenv as well as ours; the servers come
from the project's launcher, tools/testing/redis_servers.py. Every function
takes the ports of the masters to act on.
"""

from tools.compat.resp_client import RespClient
from tools.compat.resp_client import RespError

# Dump connections announce themselves with this ECHO so MONITOR summaries can drop them.
DUMP_MARKER = b"tfra-compat-dump"


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


def _run_on_owner(ports, *args):
  """Runs a command on the node serving its key, following MOVED."""
  port = ports[0]
  for _ in range(3):
    with RespClient(port) as client:
      try:
        return client.command(*args)
      except RespError as error:
        if not str(error).startswith("MOVED"):
          raise
        port = int(str(error).split()[-1].rsplit(":", 1)[1])
  raise RespError(f"too many redirections for {args[:2]!r}")


def load_hashes(ports, dump):
  """Writes every hash of a `dump_keys` dump (fields and values) back, each
  on the node that owns its slot."""
  for key_hex, entry in dump.items():
    if entry["type"] != "hash":
      continue
    args = ["HSET", bytes.fromhex(key_hex)]
    for field, value in entry["fields"].items():
      args += [bytes.fromhex(field), bytes.fromhex(value)]
    _run_on_owner(ports, *args)

"""Throughput and latency of RedisTable against the raw Redis limit (issue #4).

For each mode (a private standalone server; a 3-master cluster, no replicas)
and each dim, it fills a table with `--keys` int64 keys, then times lookup,
insert and accum per batch size. Each op is one eager call of the Python API
by default; `--call function` makes each a `tf.function` call instead. The
cost of a trivial call made the same way (tf.identity) is printed: it is part
of every table latency. Eager is the default because, measured on a busy
2-core host, calling a one-op tf.function costs 0.4-0.9 ms against 0.02-0.03
ms for an eager op: timing single-op functions would charge TensorFlow's
function dispatch, not the table, to every batch. Per mode it also prints a
PING round trip over a plain socket, alone and followed by tf.identity: the
difference is what an op costs right after waiting on the network, which
every table call pays and the raw tool does not (about 50 us more than the
op alone on the host this was written on).

In the same run raw_hash_bench moves the same keys and bytes into the same
buckets with plain HMGET (lookup) and HSET (insert, accum) through hiredis;
its best strategy is the raw limit. store_bench (--store_bench '' skips it)
runs the table's C++ path without TensorFlow on the same keys, which splits
the table's cost into client/store and TF/Python parts. Batch j of size B
holds keys [w*B, (w+1)*B), w = j mod (keys // B), in all tools.

    bazel run //tools/bench:redis_table_bench -- [--quick] [--modes cluster]
        [--dims 8,64] [--batches 1024,16384] [--keys 1048576] [--json FILE]

Accum is compared with HSET of the same bytes: the table's accum also reads
and adds on the server, so its ratio shows that extra work, too.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

try:
  from tools.testing import redis_servers
except ImportError:  # Run as a plain script: the repository root holds tools/.
  sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(
      os.path.abspath(__file__)))))
  from tools.testing import redis_servers  # pylint: disable=g-import-not-at-top

from tools.bench import bench_report  # pylint: disable=g-import-not-at-top

_MODEL_TAG = "bench"
_RAW_OP = {"lookup": "hmget", "insert": "hset", "accum": "hset"}
_STORE_OP = {"lookup": "find", "insert": "insert", "accum": "accum"}
_FULL = dict(modes="standalone,cluster", dims="8,64,256",
             batches="1024,16384,131072", keys=1 << 20,
             ops="lookup,insert,accum",
             min_seconds=2.0, min_batches=20, max_seconds=8.0)
_QUICK = dict(modes="standalone,cluster", dims="8", batches="1024,4096",
              keys=16384, ops="lookup,insert,accum", min_seconds=0.2,
              min_batches=5, max_seconds=2.0)


class Budget:
  """When a measurement stops: at least min_batches and min_seconds, or at
  least 3 batches once max_seconds have passed (slow combinations)."""

  def __init__(self, min_seconds, min_batches, max_seconds):
    self.min_seconds, self.min_batches = min_seconds, min_batches
    self.max_seconds = max_seconds

  def done(self, batches, seconds):
    return ((batches >= self.min_batches and seconds >= self.min_seconds) or
            (batches >= 3 and seconds >= self.max_seconds))

  def raw_flags(self):
    return [f"--min_seconds={self.min_seconds}",
            f"--min_batches={self.min_batches}",
            f"--max_seconds={self.max_seconds}"]


def _time_calls(call, budget):
  """Runs call(j) for j = 0, 1, ... (call 0 is an untimed warm-up).

  Returns:
    (latencies in ms, wall seconds of the timed calls, process CPU seconds
    meanwhile -- all threads, TensorFlow's included).
  """
  call(0)
  latencies, j = [], 1
  start, cpu_start = time.perf_counter(), time.process_time()
  while True:
    before = time.perf_counter()
    call(j)
    after = time.perf_counter()
    latencies.append((after - before) * 1e3)
    j += 1
    if budget.done(len(latencies), after - start):
      return latencies, after - start, time.process_time() - cpu_start


def _table_functions(table, dim, call):
  """The three ops as tf.functions (traced once for any batch size), or as
  eager calls of the Python API when `call` is "eager"."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  if call == "eager":
    return {"lookup": table.lookup, "insert": table.insert,
            "accum": table.accum}
  keys_spec = tf.TensorSpec([None], tf.int64)
  rows_spec = tf.TensorSpec([None, dim], tf.float32)

  def insert(keys, rows):
    table.insert(keys, rows)  # An op, not a tensor: return nothing.

  def accum(keys, rows, exists):
    table.accum(keys, rows, exists)

  return {
      "lookup": tf.function(table.lookup, input_signature=[keys_spec]),
      "insert": tf.function(insert, input_signature=[keys_spec, rows_spec]),
      "accum": tf.function(
          accum, input_signature=[keys_spec, rows_spec,
                                  tf.TensorSpec([None], tf.bool)]),
  }


def _time_table_op(functions, op, dim, batch, n_keys, budget):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  windows = [tf.range(w * batch, (w + 1) * batch, dtype=tf.int64)
             for w in range(n_keys // batch)]
  rows = tf.fill([batch, dim], 0.25)
  exists = tf.ones([batch], tf.bool)  # every key is stored: accum adds
  fn = functions[op]
  arguments = {"lookup": lambda k: (k,), "insert": lambda k: (k, rows),
               "accum": lambda k: (k, rows, exists)}[op]
  latencies, seconds, cpu_seconds = _time_calls(
      lambda j: fn(*arguments(windows[j % len(windows)])), budget)
  return bench_report.summary(latencies, seconds, cpu_seconds, batch)


def _fill(functions, dim, n_keys):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  step = min(n_keys, 1 << 17)
  for first in range(0, n_keys, step):
    last = min(n_keys, first + step)
    functions["insert"](tf.range(first, last, dtype=tf.int64),
                        tf.fill([last - first, dim], 0.5))


def _write_config(directory, deployment):
  """The table's JSON config file: one bucket per master."""
  return deployment.write_table_config(
      os.path.join(directory, f"{deployment.mode}.json"),
      storage_slice=len(deployment.node_ports("master")), table_store_mode=2,
      keys_sending_size=1024, model_tag_runtime=_MODEL_TAG,
      model_tag_import=_MODEL_TAG)


def _buckets(deployment, mode, embedding_name):
  """[(bucket key, port)] in bucket-index order, read from the servers.

  SCAN on a cluster node lists only that node's keys, so the scan tells each
  bucket's node. With one bucket per master, bucket i carries the tag of the
  i-th master's first slot (spec 4.1), so slot order is bucket order.
  """
  prefix = f"{_MODEL_TAG}:{embedding_name}"
  found = []
  for port in deployment.node_ports("master"):
    listed = deployment.redis_cli(port, "--scan", "--pattern", prefix + "{*")
    found += [(key, port) for key in listed.split("\n")
              if re.fullmatch(re.escape(prefix) + r"\{[0-9]+\}", key)]
  if mode == "cluster":
    slot = {key: int(deployment.redis_cli(port, "CLUSTER", "KEYSLOT", key))
            for key, port in found}
    found.sort(key=lambda item: slot[item[0]])
  expected = len(deployment.node_ports("master"))
  if len(found) != expected:
    raise RuntimeError(f"found buckets {found}, expected {expected}")
  return found


def _run_tool(argv):
  """Runs raw_hash_bench or store_bench; their JSON lines."""
  done = subprocess.run(argv, capture_output=True, text=True, check=False)
  if done.returncode != 0:
    raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.strip()}")
  lines = [json.loads(line) for line in done.stdout.splitlines() if line]
  for line in lines:
    if line["nil"] != 0:
      raise RuntimeError(f"{' '.join(argv)} missed {line['nil']} keys")
  return lines


def _run_raw(args, buckets, op, dim, batch, budget):
  return _run_tool(
      [args.raw_bench,
       "--buckets=" + ",".join(f"{key}@{port}" for key, port in buckets),
       f"--keys={args.keys}", f"--dim={dim}", f"--batch={batch}",
       f"--op={op}"] + budget.raw_flags())


def _run_store(args, config, name, op, dim, batch, budget):
  """store_bench's line, or None when --store_bench is empty."""
  if not args.store_bench:
    return None
  return _run_tool(
      [args.store_bench, f"--config={config.redis_config_abs_dir}",
       f"--embedding_name={name}", f"--keys={args.keys}", f"--dim={dim}",
       f"--batch={batch}", f"--op={_STORE_OP[op]}"] + budget.raw_flags())[0]


class RowSink:
  """Prints each row as it is measured and appends it to the --json file,
  so an interrupted run keeps what it measured."""

  def __init__(self, json_path):
    self.rows, self._json_path = [], json_path
    if json_path:
      open(json_path, "w", encoding="utf-8").close()

  def __call__(self, row):
    self.rows.append(row)
    print(bench_report.format_row(row), flush=True)
    if self._json_path:
      with open(self._json_path, "a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")


def _drop_data(deployment):
  """Frees the servers' memory between dims. FLUSHALL ASYNC, not the table's
  clear (a DEL of a 1M-field hash can outlast the client's read timeout);
  the servers are this benchmark's own."""
  for port in deployment.node_ports("master"):
    reply = deployment.redis_cli(port, "FLUSHALL", "ASYNC")
    if reply != "OK":
      raise RuntimeError(f"FLUSHALL ASYNC on port {port}: {reply}")


def _bench_dim(setup, mode, dim, args, budget, sink):
  """Fills a fresh table of `dim`, measures it and the raw limit."""
  from tensorflow_recommenders_addons.dynamic_embedding.python.ops.redis_table_ops import RedisTable  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  deployment, config = setup
  name = f"emb{dim}"
  table = RedisTable(tf.int64, tf.float32, tf.zeros([dim]), name=name,
                     config=config)
  functions = _table_functions(table, dim, args.call)
  _fill(functions, dim, args.keys)
  buckets = _buckets(deployment, mode, name)
  for batch in args.batches:
    # Accum is also set against reading and then writing the same rows.
    raw_ops = {_RAW_OP[o] for o in args.ops}
    raw_ops |= {"hmget"} if "accum" in args.ops else set()
    raw = {op: _run_raw(args, buckets, op, dim, batch, budget)
           for op in raw_ops}
    for op in args.ops:
      store = _run_store(args, config, name, op, dim, batch, budget)
      measured = _time_table_op(functions, op, dim, batch, args.keys, budget)
      r = bench_report.row(mode, op, dim, batch, measured, raw[_RAW_OP[op]],
                           store)
      if op == "accum":
        bench_report.add_read_write_bound(r, raw["hmget"])
      sink(r)
  del table, functions
  _drop_data(deployment)


def _bench_mode(mode, args, budget, directory, sink):
  from tensorflow_recommenders_addons.dynamic_embedding.python.ops.creator_options import RedisTableConfig  # pylint: disable=g-import-not-at-top
  start = (redis_servers.standalone if mode == "standalone" else
           lambda: redis_servers.cluster(masters=3, replicas_per_master=0))
  with start() as deployment:
    port = deployment.describe()["nodes"][0]["port"]
    ping, ping_then_op, op = _op_after_round_trip_ms(port, budget)
    print(f"{mode}: PING round trip {ping:.3f} ms; PING then tf.identity "
          f"{ping_then_op:.3f} ms (tf.identity alone {op:.3f} ms, p50s)",
          flush=True)
    config = RedisTableConfig(
        redis_config_abs_dir=_write_config(directory, deployment))
    for dim in args.dims:
      _bench_dim((deployment, config), mode, dim, args, budget, sink)


def _call_overhead_ms(budget, call):
  """Cost of a trivial call (tf.identity) made the way the table ops are
  called: part of every table latency."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  fn = tf.identity if call == "eager" else tf.function(
      tf.identity, input_signature=[tf.TensorSpec([None], tf.int64)])
  keys = tf.range(1024, dtype=tf.int64)
  latencies, _, _ = _time_calls(lambda j: fn(keys), budget)
  return sorted(latencies)[len(latencies) // 2]


def _op_after_round_trip_ms(port, budget):
  """p50s of a PING round trip over a plain socket, of the same round trip
  followed by an eager tf.identity, and of tf.identity alone.

  Every table call waits for Redis in a system call and then runs TensorFlow
  code; the raw tool runs none. On the host this was developed on, an op
  right after a round trip cost ~55 us more than in a tight loop (cold
  caches), which is part of each table latency and of no raw one.
  """
  import socket  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  x = tf.constant(1.0)
  with socket.create_connection(("127.0.0.1", port)) as conn:
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def ping(unused_j):
      conn.sendall(b"*1\r\n$4\r\nPING\r\n")
      reply = b""
      while not reply.endswith(b"\r\n"):
        reply += conn.recv(64)
      if reply != b"+PONG\r\n":
        raise RuntimeError("unexpected PING reply %r" % reply)

    def ping_then_op(j):
      ping(j)
      tf.identity(x)

    return tuple(
        sorted(lat)[len(lat) // 2] for lat, _, _ in
        (_time_calls(f, budget)
         for f in (ping, ping_then_op, lambda j: tf.identity(x))))


def _default_tool(name):
  """A tool binary beside this script (bazel runfiles), in the test's
  runfiles, or under bazel-bin of the workspace (`bazel run` names it) or of
  this checkout; "" when none is there."""
  here = os.path.dirname(os.path.abspath(__file__))
  candidates = [os.path.join(here, name)]
  if "TEST_SRCDIR" in os.environ:
    candidates.append(os.path.join(os.environ["TEST_SRCDIR"],
                                   os.environ.get("TEST_WORKSPACE", ""),
                                   "tools", "bench", name))
  for root in (os.environ.get("BUILD_WORKSPACE_DIRECTORY"),
               os.path.dirname(os.path.dirname(here))):
    if root:
      candidates.append(os.path.join(root, "bazel-bin", "tools", "bench", name))
  return next((c for c in candidates if os.access(c, os.X_OK)), "")


def _parse(argv):
  parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
  parser.add_argument("--quick", action="store_true",
                      help="small key count and few combinations (smoke test)")
  for flag in ("modes", "dims", "batches", "ops"):
    parser.add_argument("--" + flag, help="comma-separated list")
  for flag, kind in (("keys", int), ("min_seconds", float),
                     ("min_batches", int), ("max_seconds", float)):
    parser.add_argument("--" + flag, type=kind)
  parser.add_argument("--raw_bench", default=_default_tool("raw_hash_bench"),
                      help="path of the raw_hash_bench binary")
  parser.add_argument("--store_bench", default=_default_tool("store_bench"),
                      help="path of the store_bench binary ('' to skip)")
  parser.add_argument("--call", choices=("eager", "function"), default="eager",
                      help="run the table ops eagerly or as tf.function calls")
  parser.add_argument("--json", help="also write every row here, one a line")
  parser.add_argument("--from_json", nargs="+", metavar="FILE",
                      help="measure nothing: print the table, linearity and "
                      "targets of rows saved by --json")
  args = parser.parse_args(argv)
  for name, value in (_QUICK if args.quick else _FULL).items():
    if getattr(args, name) is None:
      setattr(args, name, value)
  args.modes = args.modes.split(",")
  args.ops = args.ops.split(",")
  args.dims = [int(d) for d in args.dims.split(",")]
  args.batches = [int(b) for b in args.batches.split(",")]
  if any(m not in ("standalone", "cluster") for m in args.modes):
    parser.error("--modes: standalone and/or cluster")
  if any(o not in _RAW_OP for o in args.ops):
    parser.error("--ops: lookup, insert and/or accum")
  if max(args.batches) > args.keys:
    parser.error("every batch must be <= --keys")
  if not args.raw_bench and not args.from_json:
    parser.error("raw_hash_bench not found: build //tools/bench:raw_hash_bench"
                 " or pass --raw_bench")
  return args


def _report(rows):
  print(bench_report.linearity(rows))
  print(bench_report.read_write_bound(rows))
  print(bench_report.targets(rows))


def main(argv=None):
  args = _parse(argv)
  if args.from_json:
    print(bench_report.HEADER)
    rows = []
    for path in args.from_json:
      with open(path, encoding="utf-8") as f:
        rows += [json.loads(line) for line in f if line.strip()]
    for r in rows:
      print(bench_report.format_row(r))
    _report(rows)
    return 0
  budget = Budget(args.min_seconds, args.min_batches, args.max_seconds)
  print(f"keys={args.keys} calls={args.call} call overhead: "
        f"{_call_overhead_ms(budget, args.call):.3f} ms (p50 of tf.identity)",
        flush=True)
  print(bench_report.HEADER, flush=True)
  sink = RowSink(args.json)
  with tempfile.TemporaryDirectory(prefix="redis-table-bench-") as directory:
    for mode in args.modes:
      _bench_mode(mode, args, budget, directory, sink)
  _report(sink.rows)
  return 0


if __name__ == "__main__":
  sys.exit(main())

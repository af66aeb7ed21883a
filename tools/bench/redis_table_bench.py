"""Throughput and latency of RedisTable against the raw Redis limit (issues
#4 and #16).

For each mode (a private standalone server; a 3-master cluster, no replicas)
and each dim, it fills a table with `--keys` int64 keys, then times per batch
size the table ops lookup, insert and accum, and the public path users call
(bench_public.py): `de.get_variable` over the same rows, `Variable.lookup`
(vlookup) and `upsert` (vupsert) eagerly, a `tf.function` train step with a
random initializer (train), and four concurrent 1k-key lookups (vlook4).
Each table op is one eager call of the Python API by default; `--call
function` makes each a `tf.function` call instead. The cost of a trivial call
made the same way (tf.identity) is printed: it is part of every table
latency. Eager is the default because, measured on a busy 2-core host,
calling a one-op tf.function costs 0.4-0.9 ms against 0.02-0.03 ms for an
eager op: timing single-op functions would charge TensorFlow's function
dispatch, not the table, to every batch. Per mode it also prints a PING round
trip over a plain socket, alone and followed by tf.identity: the difference
is what an op costs right after waiting on the network, which every table
call pays and the raw tool does not (about 50 us more than the op alone on
the host this was written on).

In the same run raw_hash_bench moves the same keys and bytes into the same
buckets with plain HMGET (lookup) and HSET (insert, accum) through hiredis;
its best strategy is the raw limit. store_bench (--store_bench '' skips it)
runs the table's C++ path without TensorFlow on the same keys, which splits
the table's cost into client/store and TF/Python parts. Batch j of size B
holds keys [w*B, (w+1)*B), w = j mod (keys // B), in all tools.

Accum (and train) are also set against reading then writing the same rows
raw, the limit of an accum without a server module. With --module (default:
the hmaccum.so Bazel built, '' to skip) each mode runs again as "<mode>+m",
its servers loading the HMACCUM module, for accum against raw HSET.

Two more cases (--cases) follow the table: "encodings" (bench_encodings.py:
Redis memory per row and lookup keys/s per redis_value_encoding, and the
demo's AUC per encoding with --demo) and "cache" (bench_cache.py: Zipf
lookups with and without the read cache against raw HMGET). A full run
takes about an hour on a 2-core host (see the report's last lines).

    bazel run //tools/bench:redis_table_bench -- [--quick] [--modes cluster]
        [--dims 8,64] [--batches 1024,16384] [--keys 1048576] [--json FILE]
        [--ops lookup,vlookup] [--module PATH] [--cases table,encodings,cache]
        [--demo none|short|full]
"""

import argparse
import json
import os
import sys
import tempfile
import time

try:
  from tools.testing import redis_servers
except ImportError:  # Run as a plain script: the repository root holds tools/.
  sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(
      os.path.abspath(__file__)))))
  from tools.testing import redis_servers  # pylint: disable=g-import-not-at-top

from tools.bench import bench_cache  # pylint: disable=g-import-not-at-top
from tools.bench import bench_encodings  # pylint: disable=g-import-not-at-top
from tools.bench import bench_public  # pylint: disable=g-import-not-at-top
from tools.bench import bench_report  # pylint: disable=g-import-not-at-top
from tools.bench import bench_setup  # pylint: disable=g-import-not-at-top

_TABLE_OPS = ("lookup", "insert", "accum")
_RAW_OP = dict({"lookup": "hmget", "insert": "hset", "accum": "hset"},
               **bench_public.RAW_OP)
# Ops set against raw read + write as well.
_READ_WRITE_OPS = ("accum", "train")
_STORE_OP = {"lookup": "find", "insert": "insert", "accum": "accum"}
_ALL_OPS = ",".join(_TABLE_OPS + bench_public.OPS)
_CASES = ("table", "encodings", "cache")
_FULL = dict(modes="standalone,cluster", dims="8,64,256",
             batches="1024,16384,131072", keys=1 << 20, ops=_ALL_OPS,
             min_seconds=2.0, min_batches=20, max_seconds=8.0,
             cases=",".join(_CASES), encoding_dims="8,64,256",
             encoding_keys=1 << 18, encoding_batch=16384, demo="short",
             cache_keys=1 << 20, cache_dim=64, cache_batches="1024,16384")
_QUICK = dict(modes="standalone,cluster", dims="8", batches="1024,4096",
              keys=16384, ops=_ALL_OPS, min_seconds=0.2,
              min_batches=5, max_seconds=2.0, cases=",".join(_CASES),
              encoding_dims="8", encoding_keys=8192, encoding_batch=1024,
              demo="none", cache_keys=20000, cache_dim=8,
              cache_batches="1024")


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
  latencies, seconds, cpu_seconds = bench_setup.time_calls(
      lambda j: fn(*arguments(windows[j % len(windows)])), budget)
  return bench_report.summary(latencies, seconds, cpu_seconds, batch)


class RowSink:
  """Prints each row as it is measured and appends it to the --json file,
  so an interrupted run keeps what it measured."""

  def __init__(self, json_path):
    self.rows, self._json_path = [], json_path
    if json_path:
      open(json_path, "w", encoding="utf-8").close()

  def __call__(self, row):
    self.rows.append(row)
    print(bench_report.format_any(row), flush=True)
    if self._json_path:
      with open(self._json_path, "a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")


class _DimRun:
  """One filled table of one dim on one deployment, and its measurements."""

  def __init__(self, setup, dim, args, budget):
    from tensorflow_recommenders_addons.dynamic_embedding.python.ops.redis_table_ops import RedisTable  # pylint: disable=g-import-not-at-top
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    self.deployment, self.config, self.label = setup
    self.dim, self.args, self.budget = dim, args, budget
    self.name = f"emb{dim}"
    self.table = RedisTable(tf.int64, tf.float32, tf.zeros([dim]),
                            name=self.name, config=self.config)
    self.functions = _table_functions(self.table, dim, args.call)
    bench_setup.fill(self.functions["insert"], dim, args.keys)
    self.public = None
    if any(op in bench_public.OPS for op in args.ops):
      self.variable = bench_public.make_variable(self.config, self.name, dim)
      self.public = bench_public.functions(self.variable, dim)
    self.buckets = bench_setup.buckets(self.deployment, self.name)

  def raw(self, batch):
    """Raw lines per raw op the ops of this run are set against."""
    ops = {_RAW_OP[o] for o in self.args.ops}
    if any(o in _READ_WRITE_OPS for o in self.args.ops):
      ops.add("hmget")
    return {op: bench_setup.run_raw(self.args.raw_bench, self.args.keys,
                                    self.buckets, op, self.dim, batch,
                                    self.budget) for op in ops}

  def measure(self, op, batch):
    """(table or public measurement or None, store measurement or None)."""
    if op in _TABLE_OPS:
      store = bench_setup.run_store(self.args, self.config, self.name,
                                    _STORE_OP[op], self.dim, batch,
                                    self.budget)
      return _time_table_op(self.functions, op, self.dim, batch,
                            self.args.keys, self.budget), store
    return bench_public.measure(self.variable, self.public, op, self.dim,
                                batch, self.args.keys, self.budget,
                                bench_setup.time_calls), None

  def close(self):
    import keras  # pylint: disable=g-import-not-at-top
    del self.table, self.functions, self.public
    keras.backend.clear_session()  # forgets get_variable's variables
    bench_setup.drop_data(self.deployment)


def _bench_dim(setup, dim, args, budget, sink):
  """Fills a fresh table of `dim`, measures it and the raw limit."""
  run = _DimRun(setup, dim, args, budget)
  for batch in args.batches:
    raw = run.raw(batch)
    for op in args.ops:
      measured, store = run.measure(op, batch)
      if measured is None:
        continue
      r = bench_report.row(run.label, op, dim, batch, measured,
                           raw[_RAW_OP[op]], store)
      if op in _READ_WRITE_OPS and not run.label.endswith(
          bench_report.MODULE_SUFFIX):
        bench_report.add_read_write_bound(r, raw["hmget"])
      sink(r)
  run.close()


def _bench_mode(mode, args, budget, directory, sink, module=None):
  """All dims on a fresh deployment of `mode`; with `module`, its servers
  load it and only accum runs (the module's op)."""
  from tensorflow_recommenders_addons.dynamic_embedding.python.ops.creator_options import RedisTableConfig  # pylint: disable=g-import-not-at-top
  modules = [module] if module else []
  start = (lambda: redis_servers.standalone(modules=modules))
  if mode == "cluster":
    start = lambda: redis_servers.cluster(masters=3, replicas_per_master=0,
                                          modules=modules)
  label = mode + (bench_report.MODULE_SUFFIX if module else "")
  with start() as deployment:
    if not module:
      port = deployment.describe()["nodes"][0]["port"]
      ping, ping_then_op, op = bench_setup.op_after_round_trip_ms(port, budget)
      print(f"{mode}: PING round trip {ping:.3f} ms; PING then tf.identity "
            f"{ping_then_op:.3f} ms (tf.identity alone {op:.3f} ms, p50s)",
            flush=True)
    config = RedisTableConfig(redis_config_abs_dir=bench_setup.write_config(
        directory, deployment, label))
    for dim in args.dims:
      _bench_dim((deployment, config, label), dim, args, budget, sink)


def _parse(argv):
  parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
  parser.add_argument("--quick", action="store_true",
                      help="small key count and few combinations (smoke test)")
  for flag in ("modes", "dims", "batches", "ops", "cases", "encoding_dims",
               "cache_batches"):
    parser.add_argument("--" + flag, help="comma-separated list")
  for flag, kind in (("keys", int), ("min_seconds", float),
                     ("min_batches", int), ("max_seconds", float),
                     ("encoding_keys", int), ("encoding_batch", int),
                     ("cache_keys", int), ("cache_dim", int)):
    parser.add_argument("--" + flag, type=kind)
  parser.add_argument("--demo", choices=("none", "short", "full"),
                      help="encodings case: train the demo per encoding")
  parser.add_argument(
      "--raw_bench", default=bench_setup.built_file("tools/bench/raw_hash_bench"),
      help="path of the raw_hash_bench binary")
  parser.add_argument(
      "--store_bench", default=bench_setup.built_file("tools/bench/store_bench"),
      help="path of the store_bench binary ('' to skip)")
  parser.add_argument(
      "--module", default=bench_setup.built_file(bench_setup.HMACCUM_MODULE),
      help="hmaccum.so: accum runs again on servers loading it ('' to skip)")
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
  args.cases = args.cases.split(",")
  args.dims = [int(d) for d in args.dims.split(",")]
  args.batches = [int(b) for b in args.batches.split(",")]
  args.encoding_dims = [int(d) for d in str(args.encoding_dims).split(",")]
  args.cache_batches = [int(b) for b in str(args.cache_batches).split(",")]
  if any(c not in _CASES for c in args.cases):
    parser.error("--cases: any of " + ",".join(_CASES))
  if any(m not in ("standalone", "cluster") for m in args.modes):
    parser.error("--modes: standalone and/or cluster")
  if any(o not in _RAW_OP for o in args.ops):
    parser.error("--ops: any of " + _ALL_OPS)
  if max(args.batches) > args.keys:
    parser.error("every batch must be <= --keys")
  if not args.raw_bench and not args.from_json:
    parser.error("raw_hash_bench not found: build //tools/bench:raw_hash_bench"
                 " or pass --raw_bench")
  return args


def _report(rows):
  print(bench_report.linearity(bench_report.table_rows(rows)))
  print(bench_report.read_write_bound(bench_report.table_rows(rows)))
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
      print(bench_report.format_any(r))
    _report(rows)
    return 0
  started = time.time()
  budget = bench_setup.Budget(args.min_seconds, args.min_batches,
                              args.max_seconds)
  print(f"keys={args.keys} calls={args.call} call overhead: "
        f"{bench_setup.call_overhead_ms(budget, args.call):.3f} ms (p50 of "
        "tf.identity)", flush=True)
  print(bench_report.HEADER, flush=True)
  sink = RowSink(args.json)
  with tempfile.TemporaryDirectory(prefix="redis-table-bench-") as directory:
    if "table" in args.cases:
      for mode in args.modes:
        _bench_mode(mode, args, budget, directory, sink)
    if "table" in args.cases and args.module and "accum" in args.ops:
      module_args = argparse.Namespace(**dict(vars(args), ops=["accum"]))
      for mode in args.modes:
        _bench_mode(mode, module_args, budget, directory, sink, args.module)
  if "encodings" in args.cases:
    bench_encodings.measure(args, budget, sink)
  if "cache" in args.cases:  # last: once made, the cache stays
    bench_cache.measure(args, budget, sink)
  _report(sink.rows)
  print(f"run took {time.time() - started:.0f} s", flush=True)
  return 0


if __name__ == "__main__":
  sys.exit(main())

"""HMACCUM against raw HSET of the same bytes (issue 16, item 1).

The module's target: accumulating rows on the server costs what writing them
does. This starts a private standalone server that loads hmaccum.so, stores
--keys int64 keys with rows of `dim` float32, then, per batch size, times
raw_hash_bench --op=hset and --op=hmaccum on the same keys, bucket and
bytes (HMACCUM adds the row to every stored row: one exists byte more per
key). Each op runs --rounds times, alternating, and the best round of each
counts (the host is shared and noisy); the best of raw_hash_bench's
strategies is the op's keys/s. Prints one line per (dim, batch):

    dim  batch  hset keys/s  hmaccum keys/s  ratio  p50 ms (hset / hmaccum)

    bazel run //tools/bench:hmaccum_bench -- [--quick] [--dims 8,64,256]
        [--batches 1024,16384,131072] [--keys 131072] [--rounds 2]
"""

import argparse
import json
import os
import subprocess
import sys

try:
  from tools.testing import redis_servers
except ImportError:  # Run as a plain script: the repository root holds tools/.
  sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(
      os.path.abspath(__file__)))))
  from tools.testing import redis_servers  # pylint: disable=g-import-not-at-top

from tools.bench.bench_setup import HMACCUM_MODULE as _MODULE  # pylint: disable=g-import-not-at-top
from tools.bench.bench_setup import built_file  # pylint: disable=g-import-not-at-top

_BUCKET = "bench:emb{3560}"  # the default table's one bucket (spec 4.1)
_RAW_BENCH = "tools/bench/raw_hash_bench"
_FULL = dict(dims="8,64,256", batches="1024,16384,131072", keys=131072,
             rounds=2, min_seconds=2.0, min_batches=20, max_seconds=8.0)
_QUICK = dict(dims="8", batches="256,1024", keys=4096, rounds=1,
              min_seconds=0.1, min_batches=3, max_seconds=1.0)


def _raw(args, port, op, dim, batch, budget):
  """raw_hash_bench's JSON lines (one per strategy) for one op."""
  argv = [args.raw_bench, f"--buckets={_BUCKET}@{port}", f"--keys={args.keys}",
          f"--dim={dim}", f"--batch={batch}", f"--op={op}"] + budget
  done = subprocess.run(argv, capture_output=True, text=True, check=False)
  if done.returncode != 0:
    raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.strip()}")
  return [json.loads(line) for line in done.stdout.splitlines() if line]


def _best(lines):
  return max(lines, key=lambda line: line["keys_per_s"])


def _fill(args, server, dim):
  """Drops all data, then stores every key (one HSET batch of all keys)."""
  port = server.node_ports()[0]
  server.redis_cli(port, "FLUSHALL")
  _raw(args, port, "hset", dim, args.keys,
       ["--min_seconds=0", "--min_batches=1", "--max_batches=1",
        "--strategies=pipelined"])
  stored = int(server.redis_cli(port, "HLEN", _BUCKET))
  if stored != args.keys:
    raise RuntimeError(f"stored {stored} keys, expected {args.keys}")


def measure(args, server):
  """Rows of {dim, batch, hset, hmaccum} (best raw_hash_bench lines)."""
  budget = [f"--min_seconds={args.min_seconds}",
            f"--min_batches={args.min_batches}",
            f"--max_seconds={args.max_seconds}"]
  port = server.node_ports()[0]
  rows = []
  for dim in args.dims:
    _fill(args, server, dim)
    for batch in args.batches:
      runs = {"hset": [], "hmaccum": []}
      for _ in range(args.rounds):
        for op, lines in runs.items():
          lines += _raw(args, port, op, dim, batch, budget)
      row = dict(dim=dim, batch=batch, hset=_best(runs["hset"]),
                 hmaccum=_best(runs["hmaccum"]))
      print(format_row(row), flush=True)
      rows.append(row)
  return rows


HEADER = (f"{'dim':>4} {'batch':>7} {'hset keys/s':>12} "
          f"{'hmaccum keys/s':>15} {'ratio':>6}  p50 ms (hset / hmaccum)")


def format_row(row):
  hset, hmaccum = row["hset"], row["hmaccum"]
  ratio = hmaccum["keys_per_s"] / hset["keys_per_s"]
  return (f"{row['dim']:>4} {row['batch']:>7} {hset['keys_per_s']:>12,.0f} "
          f"{hmaccum['keys_per_s']:>15,.0f} {ratio:>6.2f}  "
          f"{hset['p50_ms']:.3f} / {hmaccum['p50_ms']:.3f}")


def _parse(argv):
  parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
  parser.add_argument("--quick", action="store_true",
                      help="small sizes and short runs (smoke test)")
  for flag in ("dims", "batches"):
    parser.add_argument("--" + flag, help="comma-separated list")
  for flag, kind in (("keys", int), ("rounds", int), ("min_seconds", float),
                     ("min_batches", int), ("max_seconds", float)):
    parser.add_argument("--" + flag, type=kind)
  parser.add_argument("--raw_bench", default=built_file(_RAW_BENCH),
                      help="path of the raw_hash_bench binary")
  parser.add_argument("--module", default=built_file(_MODULE),
                      help="path of hmaccum.so")
  args = parser.parse_args(argv)
  for name, value in (_QUICK if args.quick else _FULL).items():
    if getattr(args, name) is None:
      setattr(args, name, value)
  args.dims = [int(d) for d in str(args.dims).split(",")]
  args.batches = [int(b) for b in str(args.batches).split(",")]
  if max(args.batches) > args.keys:
    parser.error("every batch must be <= --keys")
  if not args.raw_bench or not args.module:
    parser.error("build //tools/bench:raw_hash_bench and "
                 "//tensorflow_recommenders_addons/dynamic_embedding/core/"
                 "redis_module:hmaccum.so, or pass --raw_bench and --module")
  return args


def main(argv=None):
  args = _parse(argv)
  print(f"keys={args.keys} rounds={args.rounds}; raw_hash_bench best "
        "strategy per op, standalone server loading hmaccum.so", flush=True)
  print(HEADER, flush=True)
  with redis_servers.standalone(modules=[args.module]) as server:
    return measure(args, server)


if __name__ == "__main__":
  main()
  sys.exit(0)

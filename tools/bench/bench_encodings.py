"""The compact-rows case of redis_table_bench (issue 16, item 3).

For each dim and redis_value_encoding (raw, float16, bfloat16, int8) a fresh
private standalone server stores --encoding_keys rows through a RedisTable;
Redis memory per row is INFO used_memory after the fill less before, over
the rows (hash buckets, fields and values: what users pay), beside the stored
value's own size. Then lookups of --encoding_batch keys are timed through
the table (eager, decode to float32 included) and, for reference, raw HMGET
of the same stored bytes. Optionally (--demo) the demo trains once per
encoding and its held-out AUC is printed against raw's.
"""

import json
import os
import subprocess
import sys
import tempfile

from tools.bench import bench_report
from tools.bench import bench_setup

ENCODINGS = ("raw", "float16", "bfloat16", "int8")
_DEMO = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "demo", "dynamic_embedding",
                     "redis_recommender", "demo.py")


def stored_row_bytes(encoding, dim):
  """What row_encoding.h's EncodedRowBytes gives."""
  return {"raw": 4 * dim, "float16": 2 * dim, "bfloat16": 2 * dim,
          "int8": 4 + dim}[encoding]


def _used_memory(deployment, port):
  info = deployment.redis_cli(port, "INFO", "memory")
  return int(info.split("used_memory:")[1].split()[0])


def _measure_one(args, budget, directory, dim, encoding):
  from tensorflow_recommenders_addons.dynamic_embedding.python.ops import creator_options  # pylint: disable=g-import-not-at-top
  from tensorflow_recommenders_addons.dynamic_embedding.python.ops import redis_table_ops  # pylint: disable=g-import-not-at-top
  from tools.testing import redis_servers  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  with redis_servers.standalone() as deployment:
    (port,) = deployment.node_ports()
    config = bench_setup.write_config(
        directory, deployment, f"{encoding}{dim}",
        redis_value_encoding=encoding)
    name = f"enc{dim}"
    table = redis_table_ops.RedisTable(
        tf.int64, tf.float32, tf.zeros([dim]), name=name,
        config=creator_options.RedisTableConfig(redis_config_abs_dir=config))
    table.size()  # opens the table (and writes its layout record)
    before = _used_memory(deployment, port)
    bench_setup.fill(table.insert, dim, args.encoding_keys, value=0.125)
    per_row = (_used_memory(deployment, port) - before) / args.encoding_keys
    batch = args.encoding_batch
    windows = [tf.range(w * batch, (w + 1) * batch, dtype=tf.int64)
               for w in range(args.encoding_keys // batch)]
    latencies, seconds, cpu = bench_setup.time_calls(
        lambda j: table.lookup(windows[j % len(windows)]), budget)
    lookup = bench_report.summary(latencies, seconds, cpu, batch)
    raw = bench_setup.run_raw(
        args.raw_bench, args.encoding_keys,
        bench_setup.buckets(deployment, name), "hmget", dim, batch, budget,
        [f"--value_bytes={stored_row_bytes(encoding, dim)}"])
    return bench_report.encoding_row(dim, encoding, batch,
                                     stored_row_bytes(encoding, dim), per_row,
                                     lookup, raw)


def demo_auc(encoding, demo_args, directory):
  """The demo's held-out AUC trained with `encoding` (None if it failed)."""
  out = os.path.join(directory, "demo_" + encoding)
  env = dict(os.environ,
             PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
  run = subprocess.run([sys.executable, _DEMO, "--value_encoding", encoding,
                        "--output_dir", out] + demo_args, env=env,
                       capture_output=True, text=True, check=False)
  summary = os.path.join(out, "summary.json")
  if not os.path.exists(summary):  # exit 1 alone means a low AUC
    print(f"demo with {encoding} failed: {run.stderr[-2000:]}", flush=True)
    return None
  with open(summary, encoding="utf-8") as f:
    return json.load(f)["held_out_auc"]


def measure(args, budget, sink):
  """Rows of the encodings case (case="encoding"), then the demo's AUCs."""
  with tempfile.TemporaryDirectory(prefix="encodings-bench-") as directory:
    for dim in args.encoding_dims:
      for encoding in ENCODINGS:
        sink(_measure_one(args, budget, directory, dim, encoding))
    if args.demo != "none":
      demo_args = ["--short"] if args.demo == "short" else []
      aucs = {e: demo_auc(e, demo_args, directory) for e in ENCODINGS}
      sink(dict(case="demo_auc", demo=args.demo, auc=aucs))


"""Cost of `Variable.restrict()` on a Redis-backed variable (issue 14 item 4).

A restriction reads the status table (export: HSCAN), picks the surplus
keys in this process (top_k) and removes them by key (HDEL) from the
variable, its status and its slot tables. This times that on a private
server, and beside it the two parts a server-side "remove rows whose status
is below a threshold" op could save: the status export and the top_k (the
removal of the chosen keys from the variable and its slots remains either
way, since those tables hold no status).

For each mode: fill a variable (`--rows` int64 keys, dim `--dim`), its
FrequencyRestrictPolicy status and `--slots` slot variables of the same
size, then restrict to `--reserve` keys, `--repeats` times (refilled in
between), and print the median seconds of: the whole restriction, the
status export alone, top_k on the exported status, and the removal of the
same number of keys from one table.

    bazel run //tools/bench:restrict_bench -- [--quick] [--modes cluster]
        [--rows 100000] [--reserve 50000] [--dim 32] [--slots 2]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

try:
  from tools.testing import redis_servers
except ImportError:  # Run as a plain script: the repository root holds tools/.
  sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(
      os.path.abspath(__file__)))))
  from tools.testing import redis_servers  # pylint: disable=g-import-not-at-top

import numpy as np  # pylint: disable=g-import-not-at-top,wrong-import-order
import tensorflow as tf  # pylint: disable=g-import-not-at-top,wrong-import-order

from tensorflow_recommenders_addons import dynamic_embedding as de  # pylint: disable=g-import-not-at-top

_LAUNCH = {"standalone": redis_servers.standalone,
           "cluster": redis_servers.cluster}
_FILL_BATCH = 16384


def _fill(var, keys, dim, value_dtype=tf.float32):
  for start in range(0, len(keys), _FILL_BATCH):
    part = tf.constant(keys[start:start + _FILL_BATCH], tf.int64)
    var.upsert(part, tf.ones([tf.size(part), dim], value_dtype))


def _median_seconds(fn, repeats, prepare):
  times = []
  for _ in range(repeats):
    prepare()
    start = time.perf_counter()
    fn()
    times.append(time.perf_counter() - start)
  return statistics.median(times)


def _run_mode(mode, args):
  with _LAUNCH[mode]() as deployment, tempfile.TemporaryDirectory() as folder:
    config = deployment.write_table_config(
        os.path.join(folder, "bench.json"), storage_slice=args.storage_slice,
        model_tag_runtime="bench", model_tag_import="bench",
        table_store_mode=2)
    creator = de.RedisTableCreator(
        de.RedisTableConfig(redis_config_abs_dir=config))
    # Names of this mode's own: get_variable (which makes the status
    # variable) reuses variables by name.
    name = "restrict_bench_" + mode
    var = de.get_variable(name, dim=args.dim, kv_creator=creator,
                          restrict_policy=de.FrequencyRestrictPolicy)
    status = var.restrict_policy.status
    slots = [de.get_variable("%s/slot%d" % (name, i), dim=args.dim,
                             kv_creator=creator) for i in range(args.slots)]
    var.restrict_policy._track_params_from_optimizer_slots(slots)  # pylint: disable=protected-access
    keys = np.arange(args.rows, dtype=np.int64)
    counts = np.random.default_rng(0).integers(0, 1000, args.rows)

    def refill():
      for table in [var] + slots:
        _fill(table, keys, args.dim)
      for start in range(0, args.rows, _FILL_BATCH):
        part = counts[start:start + _FILL_BATCH]
        status.upsert(tf.constant(keys[start:start + _FILL_BATCH]),
                      tf.constant(part.reshape(-1, 1), tf.int32))

    surplus = args.rows - args.reserve
    whole = _median_seconds(lambda: var.restrict(args.reserve), args.repeats,
                            refill)
    assert int(var.size()) == args.reserve, int(var.size())
    refill()
    export = _median_seconds(status.export, args.repeats, lambda: None)
    exported = tf.reshape(status.export()[1], [-1])
    top_k = _median_seconds(lambda: tf.math.top_k(-exported, surplus),
                            args.repeats, lambda: None)
    removed = tf.constant(keys[:surplus])
    remove = _median_seconds(lambda: var.remove(removed), args.repeats,
                             lambda: _fill(var, keys[:surplus], args.dim))
    return whole, export, top_k, remove


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--quick", action="store_true",
                      help="a small run (smoke test)")
  parser.add_argument("--modes", default="standalone,cluster")
  parser.add_argument("--rows", type=int, default=100000)
  parser.add_argument("--reserve", type=int, default=50000)
  parser.add_argument("--dim", type=int, default=32)
  parser.add_argument("--slots", type=int, default=2)
  parser.add_argument("--storage_slice", type=int, default=1)
  parser.add_argument("--repeats", type=int, default=3)
  args = parser.parse_args()
  if args.quick:
    args.rows, args.reserve, args.repeats = 2000, 1000, 1
  print("rows=%d reserve=%d dim=%d slots=%d (tables restricted: %d)" %
        (args.rows, args.reserve, args.dim, args.slots, args.slots + 2))
  print("%-10s %12s %12s %12s %16s" % ("mode", "restrict_s", "export_s",
                                       "top_k_s", "remove_1table_s"))
  for mode in args.modes.split(","):
    print("%-10s %12.3f %12.3f %12.3f %16.3f" % ((mode,) + _run_mode(mode,
                                                                      args)))


if __name__ == "__main__":
  main()

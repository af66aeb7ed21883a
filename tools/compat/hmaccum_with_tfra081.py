"""Upstream TFRA 0.8.1's accum against this project's HMACCUM module.

Checks that the module works for upstream's clients: private servers (a standalone server and a
3-master cluster) load hmaccum.so; for every value dtype upstream's accum handles, upstream's
RedisTable inserts rows, then calls accum with keys that cover the four exists cases and a
repeated key, and reads the table back. The rows must equal the ones computed here with numpy (IEEE sums,
integers wrapping). The cluster table has one bucket: with two or more buckets in Cluster
mode, upstream 0.8.1's client sends each bucket's command the exists bytes of the whole call
(seen with MONITOR), and both upstream's module and ours refuse them ("Invalid exists length"). Run in the upstream
virtualenv (see README.md), after
`bazel build //tensorflow_recommenders_addons/dynamic_embedding/core/redis_module:hmaccum.so`:

    TF_USE_LEGACY_KERAS=1 "$(bash tools/compat/ensure_tfra081_venv.sh)" tools/compat/hmaccum_with_tfra081.py \\
        --module bazel-bin/tensorflow_recommenders_addons/dynamic_embedding/core/redis_module/hmaccum.so

Last line: "upstream accum on our HMACCUM module: PASS, N/N cases" (exit 0), or FAIL (exit 1).
"""

import argparse
import contextlib
import os
import pathlib
import sys
import tempfile

if __package__ in (None, ""):
  # The repository root goes last: in the upstream venv, upstream's installed
  # tensorflow_recommenders_addons must win over this checkout's.
  sys.path.append(str(pathlib.Path(__file__).resolve().parents[2]))
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

from tools.testing import redis_servers  # pylint: disable=wrong-import-position

DTYPES = ("float32", "float64", "int32", "int64", "int8")
DIM = 3
STORED = [1, 2, 3, 4]
# (key, exists): add, add again (repeat), stale "absent" on a stored key, set, stale "stored"
# on an absent key, set then add in one call.
CALL = [(1, True), (1, True), (2, False), (10, False), (11, True), (12, False), (12, True)]


def rows(np, dtype, seed, count):
  random = np.random.default_rng(seed)
  if dtype.startswith("float"):
    return (random.standard_normal((count, DIM)) * 2.0 ** random.integers(-10, 10, (count, 1))
           ).astype(dtype)
  info = np.iinfo(dtype)
  return random.integers(info.min, info.max, (count, DIM), dtype=dtype, endpoint=True)


def expected(np, initial, deltas):
  table = {k: initial[i].copy() for i, k in enumerate(STORED)}
  with np.errstate(over="ignore"):
    for (key, exists), delta in zip(CALL, deltas):
      if key in table and exists:
        table[key] = table[key] + delta  # same dtype: one IEEE rounding, or wrap
      elif key not in table and not exists:
        table[key] = delta.copy()
  return table


def run_case(tf, de, np, config_path, dtype, name):
  initial, deltas = rows(np, dtype, 1, len(STORED)), rows(np, dtype, 2, len(CALL))
  config = de.RedisTableConfig(redis_config_abs_dir=config_path)
  table = de.RedisTable(tf.int64, tf.as_dtype(dtype), tf.zeros([DIM], dtype), name=name,
                        config=config)
  table.insert(tf.constant(STORED, tf.int64), tf.constant(initial))
  table.accum(tf.constant([k for k, _ in CALL], tf.int64), tf.constant(deltas),
              tf.constant([e for _, e in CALL]))
  want = expected(np, initial, deltas)
  keys = sorted(want) + [11]
  values, exists = table.lookup(tf.constant(keys, tf.int64), return_exists=True)
  got = {k: v for k, v, e in zip(keys, values.numpy(), exists.numpy()) if e}
  same = sorted(got) == sorted(want) and all(got[k].tobytes() == want[k].tobytes() for k in want)
  return same, {str(k): v.tolist() for k, v in got.items()}, {str(k): v.tolist() for k, v in
                                                             want.items()}


def check(module):
  # pylint: disable=import-outside-toplevel
  import numpy as np
  import tensorflow as tf
  import tensorflow_recommenders_addons.dynamic_embedding as de
  results = []
  modules = [os.path.abspath(module)]
  with redis_servers.standalone(modules=modules) as standalone, redis_servers.cluster(
      3, 0, modules=modules) as cluster, tempfile.TemporaryDirectory() as directory:
    for mode, deployment in (("standalone", standalone), ("cluster", cluster)):
      config_path = deployment.write_table_config(
          os.path.join(directory, mode + ".json"), storage_slice=1)
      for dtype in DTYPES:
        same, got, want = run_case(tf, de, np, config_path, dtype, f"emb_{mode}_{dtype}")
        results.append(dict(mode=mode, dtype=dtype, same=bool(same), got=got, want=want))
  return results


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--module", required=True, help="path of hmaccum.so")
  args = parser.parse_args(argv)
  with contextlib.redirect_stdout(sys.stderr):  # upstream print()s at import time
    results = check(args.module)
  for r in results:
    print(f"{r['mode']:10} {r['dtype']:8} {'ok' if r['same'] else 'DIFFERENT'}")
    if not r["same"]:
      print(f"  got  {r['got']}\n  want {r['want']}")
  passed = sum(r["same"] for r in results)
  verdict = "PASS" if passed == len(results) else "FAIL"
  print(f"upstream accum on our HMACCUM module: {verdict}, {passed}/{len(results)} cases")
  return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
  sys.exit(main())

"""Writes golden save_to_file_system files produced by upstream TFRA 0.8.1.

Run under the upstream virtualenv (tools/compat/README.md), from anywhere:

    TF_USE_LEGACY_KERAS=1 "$(bash tools/compat/ensure_tfra081_venv.sh)" \\
        tools/compat/golden/make_file_golden.py [--out DIR]

Each case builds an upstream `de.Variable`, upserts known rows and calls
`Variable.save_to_file_system`; the files land in `<out>/<case>/` exactly as
upstream named and wrote them (default out: the test data folder
tensorflow_recommenders_addons/dynamic_embedding/python/kernel_tests/testdata/tfra081_files/),
and `<out>/index.json` records per case the
variable, the save arguments, the file names and the rows each file must hold
(read back from the bytes with numpy, then checked against the upserted rows,
so the index describes the files, not our expectations). Cases with a Redis
creator use a private standalone server (tools/testing/redis_servers.py),
stopped on exit. The test that reads these files with our build is
python/kernel_tests/tfra081_file_system_compat_test.py.
"""

import argparse
import json
import os
import pathlib
import shutil
import sys
import tempfile

import numpy as np

if not __package__:
  # Run as a script: `tools` is importable from the repository root. Appended, so that
  # under the upstream venv its tensorflow_recommenders_addons wins over this checkout's.
  sys.path.append(str(pathlib.Path(__file__).resolve().parents[3]))

from tools.testing import redis_servers  # pylint: disable=wrong-import-position

DEFAULT_OUT = pathlib.Path(__file__).resolve().parents[3].joinpath(
    "tensorflow_recommenders_addons", "dynamic_embedding", "python", "kernel_tests",
    "testdata", "tfra081_files")

# name -> variable and save arguments. Keys include negatives and values
# beyond 32 bits where the key type allows; shards split keys by `key mod n`.
CASES = {
    "cuckoo_int64_float32_dim4_2shards": dict(
        backend="cuckoo", key_dtype="int64", value_dtype="float32", dim=4, shards=2,
        keys=[1, 2, -3, 4294967296, 7, -8, 123456789012, 0], proc_size=2, proc_rank=1),
    "cuckoo_int32_int32_dim3": dict(
        backend="cuckoo", key_dtype="int32", value_dtype="int32", dim=3, shards=1,
        keys=[5, -6, 2147483647, -2147483648, 0], proc_size=1, proc_rank=0),
    "cuckoo_int64_float64_dim2": dict(
        backend="cuckoo", key_dtype="int64", value_dtype="float64", dim=2, shards=1,
        keys=[10, -20, 9007199254740993, 3], proc_size=1, proc_rank=0),
    "redis_int64_float32_dim4_2shards": dict(
        backend="redis", key_dtype="int64", value_dtype="float32", dim=4, shards=2,
        keys=[11, 12, -13, 8589934592, 15], proc_size=1, proc_rank=0),
}


def rows_for(case):
  """Deterministic rows: element j of key i is (i * dim + j) * 0.75 - 5 (exact in every type)."""
  count, dim = len(case["keys"]), case["dim"]
  flat = np.arange(count * dim, dtype=np.float64) * 0.75 - 5
  if case["value_dtype"].startswith("int"):
    flat = np.arange(count * dim, dtype=np.int64) * 7 - 11
  return flat.reshape(count, dim).astype(case["value_dtype"])


def read_files(prefix, key_dtype, value_dtype, dim):
  """Rows of `<prefix>-keys` / `-values`, decoded with numpy from the raw bytes."""
  keys = np.fromfile(prefix + "-keys", dtype="<" + np.dtype(key_dtype).str[1:])
  values = np.fromfile(prefix + "-values", dtype="<" + np.dtype(value_dtype).str[1:])
  assert values.size == keys.size * dim, (prefix, keys.size, values.size)
  return keys, values.reshape(keys.size, dim)


def make_case(name, case, out_dir, redis, workdir):
  """Runs one case; `redis` is the standalone deployment Redis cases use."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tensorflow_recommenders_addons import dynamic_embedding as de  # pylint: disable=g-import-not-at-top

  kwargs = {}
  if case["backend"] == "redis":
    config_path = redis.write_table_config(os.path.join(workdir, name + ".json"),
                                           model_tag_runtime=name)
    kwargs["kv_creator"] = de.RedisTableCreator(
        config=de.RedisTableConfig(redis_config_abs_dir=config_path))
  var = de.Variable(key_dtype=getattr(tf, case["key_dtype"]),
                    value_dtype=getattr(tf, case["value_dtype"]), dim=case["dim"],
                    devices=["/CPU:0"] * case["shards"], name=name, **kwargs)
  keys = np.array(case["keys"], dtype=case["key_dtype"])
  rows = rows_for(case)
  var.upsert(tf.constant(keys), tf.constant(rows))
  case_dir = os.path.join(out_dir, name)
  shutil.rmtree(case_dir, ignore_errors=True)
  var.save_to_file_system(case_dir, proc_size=case["proc_size"], proc_rank=case["proc_rank"])
  expected = {int(k): r for k, r in zip(keys, rows)}
  files = {}
  for entry in sorted(os.listdir(case_dir)):
    if not entry.endswith("-keys"):
      continue
    prefix = entry[:-len("-keys")]
    got_keys, got_rows = read_files(os.path.join(case_dir, prefix), case["key_dtype"],
                                    case["value_dtype"], case["dim"])
    for k, r in zip(got_keys, got_rows):
      assert np.array_equal(expected[int(k)], r), (name, prefix, k)
    files[prefix] = {"keys": got_keys.tolist(), "values": got_rows.tolist()}
  assert files, name
  if case["backend"] == "redis":
    var.clear()
  return dict(case, files=files, upstream="tensorflow-recommenders-addons==0.8.1")


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--out", default=str(DEFAULT_OUT))
  args = parser.parse_args()
  out_dir = os.path.abspath(args.out)
  os.makedirs(out_dir, exist_ok=True)
  index = {}
  with redis_servers.standalone() as redis, tempfile.TemporaryDirectory(
      prefix="tfra081-files-") as workdir:
    for name, case in CASES.items():
      index[name] = make_case(name, case, out_dir, redis, workdir)
      print("%s: %s" % (name, ", ".join(sorted(index[name]["files"]))))
  with open(os.path.join(out_dir, "index.json"), "w") as f:
    json.dump(index, f, indent=1, sort_keys=True)
    f.write("\n")


if __name__ == "__main__":
  main()

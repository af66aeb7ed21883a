"""Files written by upstream TFRA 0.8.1's save_to_file_system load into ours.

testdata/tfra081_files/ was recorded once by tools/compat/golden/make_file_golden.py
with the real upstream package (its own venv): per case a folder of the
files upstream's `Variable.save_to_file_system` wrote, and index.json with
the variable, the save arguments and the rows each file holds. Here only our
build runs: it loads those files and must find exactly those rows. (The
other direction, upstream reading files we write, is in
tools/compat/reverse/check.py.)
"""

import json
import os
import sys

import numpy as np
import pytest
import tensorflow as tf

from tensorflow_recommenders_addons import dynamic_embedding as de

_FILES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "testdata", "tfra081_files")

with open(os.path.join(_FILES_DIR, "index.json")) as _index:
  CASES = json.load(_index)


def new_variable(case, make_creator, shards=None):
  return de.Variable(key_dtype=getattr(tf, case["key_dtype"]),
                     value_dtype=getattr(tf, case["value_dtype"]),
                     dim=case["dim"],
                     devices=["/CPU:0"] * (shards or case["shards"]),
                     name=case_name(case), kv_creator=make_creator())


def case_name(case):
  return next(name for name, c in CASES.items() if c is case)


def recorded_rows(case):
  """{key: row} over every file of the case, from index.json."""
  rows = {}
  for content in case["files"].values():
    rows.update(zip(content["keys"], map(tuple, content["values"])))
  return rows


def exported_rows(var):
  keys, values = var.export()
  return dict(zip(keys.numpy().tolist(), map(tuple, values.numpy().tolist())))


def test_index_describes_the_committed_files():
  """The recorded rows are what the bytes hold (decoded with numpy here)."""
  for name, case in CASES.items():
    folder = os.path.join(_FILES_DIR, name)
    assert sorted(os.listdir(folder)) == sorted(
        prefix + suffix for prefix in case["files"]
        for suffix in ("-keys", "-values"))
    for prefix, content in case["files"].items():
      keys = np.fromfile(os.path.join(folder, prefix + "-keys"),
                         dtype=case["key_dtype"])
      values = np.fromfile(os.path.join(folder, prefix + "-values"),
                           dtype=case["value_dtype"])
      assert keys.tolist() == content["keys"]
      assert values.reshape(len(keys), case["dim"]).tolist() == content[
          "values"]


def test_upstream_names_files_as_we_do():
  """Upstream's per-shard names (`_mht_<i>of<n>_rank<r>_size<s>`) are the
  names our Variable computes for the same variable and save arguments."""
  for name, case in CASES.items():
    expected = sorted("%s_mht_%dof%d_rank%d_size%d" %
                      (name, i, case["shards"], case["proc_rank"],
                       case["proc_size"])
                      for i in range(1, case["shards"] + 1))
    assert sorted(case["files"]) == expected


@pytest.mark.parametrize("name", sorted(CASES))
def test_variable_loads_upstream_files(name, make_creator):
  case = CASES[name]
  var = new_variable(case, make_creator)
  var.load_from_file_system(os.path.join(_FILES_DIR, name),
                            proc_size=case["proc_size"],
                            proc_rank=case["proc_rank"])
  expected = recorded_rows(case)
  assert exported_rows(var) == expected
  assert var.size().numpy() == len(expected)
  keys = tf.constant(list(expected), getattr(tf, case["key_dtype"]))
  found, exists = var.lookup(keys, return_exists=True)
  assert exists.numpy().all()
  np.testing.assert_array_equal(found.numpy(),
                                np.array(list(expected.values())))


@pytest.mark.parametrize("name", sorted(CASES))
def test_load_entire_dir_into_another_shard_count(name, make_creator):
  case = CASES[name]
  var = new_variable(case, make_creator, shards=case["shards"] + 1)
  var.load_from_file_system(os.path.join(_FILES_DIR, name),
                            load_entire_dir=True)
  assert exported_rows(var) == recorded_rows(case)
  assert var.size().numpy() == len(recorded_rows(case))


@pytest.mark.parametrize("name", sorted(CASES))
def test_redis_table_loads_each_upstream_file(name, standalone_setup):
  """Table level: each file pair alone gives exactly its recorded rows."""
  case = CASES[name]
  for prefix, content in case["files"].items():
    table = de.RedisTable(
        getattr(tf, case["key_dtype"]), getattr(tf, case["value_dtype"]),
        tf.zeros([case["dim"]], getattr(tf, case["value_dtype"])),
        name=prefix, config=de.RedisTableConfig(
            redis_config_abs_dir=standalone_setup.write_config()))
    table.load_from_file_system(os.path.join(_FILES_DIR, name))
    keys, values = table.export()
    assert dict(zip(keys.numpy().tolist(),
                    map(tuple, values.numpy().tolist()))) == dict(
                        zip(content["keys"], map(tuple, content["values"])))


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

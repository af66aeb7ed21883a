"""Compact rows (`redis_value_encoding`) through the Python API.

A float32 table stores its rows as float16, bfloat16 or int8 with a per-row
scale; lookups, export and checkpoints give float32 back within the
encoding's precision, Redis holds fewer bytes, the encoding is recorded and
opening the table with another one fails clearly.
"""

import os
import sys

import numpy as np
import pytest
import tensorflow as tf

from tensorflow_recommenders_addons.dynamic_embedding.python.ops import dynamic_embedding_creator as creator
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import redis_table_ops

ENCODINGS = ("float16", "bfloat16", "int8")
# Largest error relative to the row's largest magnitude: half a unit in the
# last place (11 and 8 significant bits), half a step of max|x| / 127.
_RELATIVE_ERROR = {"float16": 2**-11, "bfloat16": 2**-8, "int8": 0.5 / 127}


def _table(setup, encoding, name="emb", dim=8, value_dtype=tf.float32,
           config_path=None, key_dtype=tf.int64, **config):
  path = config_path or setup.write_config(redis_value_encoding=encoding,
                                           **config)
  return redis_table_ops.RedisTable(
      key_dtype, value_dtype, tf.zeros([dim], value_dtype), name=name,
      checkpoint=True,
      config=creator.RedisTableConfig(redis_config_abs_dir=path))


def _rows(n, dim, seed=0):
  return np.random.default_rng(seed).normal(0, 0.1, (n, dim)).astype(
      np.float32)


def _assert_close(found, rows, encoding):
  bound = _RELATIVE_ERROR[encoding] * np.abs(rows).max(axis=1, keepdims=True)
  assert np.all(np.abs(found - rows) <= bound * 1.0001), encoding


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_rows_come_back_within_the_encodings_precision(redis_setup, encoding):
  table = _table(redis_setup, encoding)
  keys = tf.range(200, dtype=tf.int64)
  rows = _rows(200, 8)
  table.insert(keys, rows)
  found, exists = table.lookup(tf.range(201, dtype=tf.int64),
                               return_exists=True)
  _assert_close(found.numpy()[:200], rows, encoding)
  assert exists.numpy().tolist() == [True] * 200 + [False]
  exported_keys, exported = table.export()
  order = np.argsort(exported_keys.numpy())
  np.testing.assert_array_equal(exported.numpy()[order], found.numpy()[:200])


def test_compact_rows_take_fewer_bytes_in_redis(standalone_setup):
  sizes = {}
  for encoding in ("raw",) + ENCODINGS:
    name = "mem_" + encoding
    table = _table(standalone_setup, encoding, name=name, dim=64,
                   key_dtype=tf.string)
    table.insert(tf.constant(["k7"]), _rows(1, 64))
    (port,) = standalone_setup.deployment.node_ports()
    (bucket,) = [k for k in standalone_setup.keys("*:%s{*" % name)
                 if "tfra_layout" not in k]
    sizes[encoding] = int(standalone_setup.deployment.redis_cli(
        port, "HSTRLEN", bucket, "k7"))
  assert sizes == {"raw": 256, "float16": 128, "bfloat16": 128, "int8": 68}


def test_opening_with_another_encoding_fails_naming_both(standalone_setup):
  path = standalone_setup.write_config(redis_value_encoding="int8")
  _table(standalone_setup, "int8", config_path=path).insert(
      tf.constant([1], tf.int64), _rows(1, 8))
  other = standalone_setup.write_config(
      redis_value_encoding="float16",
      model_tag_runtime=_tag_of(standalone_setup, path),
      model_tag_import=_tag_of(standalone_setup, path))
  with pytest.raises(tf.errors.FailedPreconditionError,
                     match='stored with redis_value_encoding "int8", but the '
                     'config says "float16"'):
    _table(standalone_setup, "float16", config_path=other).size()


def _tag_of(setup, path):
  import json  # pylint: disable=g-import-not-at-top
  del setup
  with open(path, encoding="utf-8") as f:
    return json.load(f)["model_tag_runtime"]


def test_accum_and_non_float_tables_refuse_compact_rows(standalone_setup):
  table = _table(standalone_setup, "bfloat16", dim=2)
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match='accum needs redis_value_encoding "raw"'):
    table.accum(tf.constant([1], tf.int64), tf.ones([1, 2]),
                tf.constant([False]))
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match="applies to float32 values only"):
    _table(standalone_setup, "float16", name="d", dim=2,
           value_dtype=tf.float64).size()


def test_checkpoints_and_files_keep_encoded_rows(standalone_setup, tmp_path):
  # Files hold TFRA's float32 rows (a raw table loads them alike).
  table = _table(standalone_setup, "float16", table_store_mode=0)
  keys = tf.range(50, dtype=tf.int64)
  table.insert(keys, _rows(50, 8))
  before = table.lookup(keys).numpy()
  checkpoint = tf.train.Checkpoint(table=table)
  saved = checkpoint.save(str(tmp_path / "ckpt"))
  table.save_to_file_system(str(tmp_path / "files"))
  table.clear()
  checkpoint.restore(saved)
  np.testing.assert_array_equal(table.lookup(keys), before)
  table.clear()
  table.load_from_file_system(str(tmp_path / "files"))
  np.testing.assert_array_equal(table.lookup(keys), before)
  values = [f for f in os.listdir(tmp_path / "files") if "-values" in f]
  assert values and sum(
      os.path.getsize(tmp_path / "files" / f) for f in values) == 50 * 8 * 4
  raw = _table(standalone_setup, "raw", name="emb_raw", table_store_mode=0)
  raw.load_from_file_system(str(tmp_path / "files"), file_name="emb")
  np.testing.assert_array_equal(raw.lookup(keys), before)


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

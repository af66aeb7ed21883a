"""Creators and the KVTable protocol every backend's table obeys."""

import dataclasses
import math
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests.training_util import sorted_export
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import redis_table_ops

pytestmark = pytest.mark.usefixtures("fresh_session")


def _keys(*keys):
  return tf.constant(keys, tf.int64)


def _table(kv_creator, name, dim=2, value_dtype=tf.float32, key_dtype=tf.int64,
           default=0):
  return kv_creator.create(key_dtype=key_dtype,
                           value_dtype=value_dtype,
                           default_value=tf.cast(tf.fill([dim], default),
                                                 value_dtype),
                           name="%s_mht_1of1" % name,
                           checkpoint=True,
                           init_size=0)


def test_kv_creator_accepts_only_dynamic_embedding_savers():
  with pytest.raises(RuntimeError):
    de.KVCreator(saver="not a saver")
  saver = de.FileSystemSaver(proc_size=2, proc_rank=1)
  creator = de.KVCreator(config="cfg", saver=saver)
  assert (creator.config, creator.saver) == ("cfg", saver)
  assert (saver.proc_size, saver.proc_rank, saver.buffer_size) == (2, 1, 4096)


def test_kv_creator_create_is_abstract():
  with pytest.raises(NotImplementedError):
    de.KVCreator().create(tf.int64, tf.float32, [0.0], "t")


def test_redis_table_config_is_immutable_with_none_defaults():
  config = de.RedisTableConfig()
  assert (config.redis_config_abs_dir, config.redis_config_abs_dir_env) == (
      None, None)
  with pytest.raises(dataclasses.FrozenInstanceError):
    config.redis_config_abs_dir = "/elsewhere.json"
  assert de.RedisTableConfig("/a.json") == de.RedisTableConfig(
      redis_config_abs_dir="/a.json")


def test_redis_table_creator_rejects_a_config_of_another_type():
  with pytest.raises(TypeError):
    de.RedisTableCreator(config={"redis_host_ip": []}).create(
        tf.int64, tf.float32, [0.0], "t")
  with pytest.raises(TypeError):
    de.RedisTableCreator().create(tf.int64, tf.float32, [0.0], "t",
                                  config=de.CuckooHashTableConfig())


class _RecordingRedisTable:
  """Stands in for the Redis op wrapper: records its constructor call."""
  calls = []

  def __init__(self, *args, **kwargs):
    self.calls.append((args, kwargs))


def test_redis_table_creator_passes_upstream_signature_and_stores_nothing(
    monkeypatch):
  monkeypatch.setattr(redis_table_ops, "RedisTable", _RecordingRedisTable,
                      raising=False)
  _RecordingRedisTable.calls.clear()
  config = de.RedisTableConfig(redis_config_abs_dir_env="MY_REDIS_JSON")
  creator = de.RedisTableCreator(config)
  state_before = dict(vars(creator))
  creator.create(tf.int64, tf.float32, [0.0, 0.0], "v_mht_1of2", True, 10,
                 device="/CPU:0")
  override = de.RedisTableConfig(redis_config_abs_dir="/other.json")
  creator.create(tf.int64, tf.float32, [0.0], "w_mht_1of1", False, 0,
                 config=override)
  assert vars(creator) == state_before
  (args0, kwargs0), (_, kwargs1) = _RecordingRedisTable.calls
  assert args0 == ()
  assert sorted(kwargs0) == sorted([
      "key_dtype", "value_dtype", "default_value", "name", "checkpoint",
      "config", "device", "shard_saveable_object_fn"
  ])
  assert (kwargs0["name"], kwargs0["checkpoint"], kwargs0["config"],
          kwargs0["device"]) == ("v_mht_1of2", True, config, "/CPU:0")
  assert kwargs1["config"] is override
  assert config.redis_config_abs_dir is None  # Never rewritten.


def test_cuckoo_creator_makes_in_process_tables_obeying_the_protocol():
  table = _table(de.CuckooHashTableCreator(), "t")
  assert isinstance(table, de.KVTable)
  assert isinstance(table, de.CuckooHashTable)
  assert table.key_dtype == tf.int64 and table.value_dtype == tf.float32


def test_variable_rejects_a_creator_that_is_not_a_kv_creator():
  with pytest.raises(TypeError):
    de.Variable(dim=2, kv_creator=de.CuckooHashTableConfig())


def test_table_insert_lookup_remove_size_export(kv_creator, unique_name):
  table = _table(kv_creator, unique_name, default=-1)
  table.insert(_keys(1, 2, 3), [[1., 1.], [2., 2.], [3., 3.]])
  assert int(table.size()) == 3
  values, exists = table.lookup(_keys(2, 9), return_exists=True)
  np.testing.assert_array_equal(values, [[2., 2.], [-1., -1.]])
  np.testing.assert_array_equal(exists, [True, False])
  table.insert(_keys(2), [[5., 6.]])
  table.remove(_keys(1, 42))
  keys, values = sorted_export(table)
  np.testing.assert_array_equal(keys, [2, 3])
  np.testing.assert_array_equal(values, [[5., 6.], [3., 3.]])


def test_table_lookup_uses_per_key_dynamic_defaults(kv_creator, unique_name):
  table = _table(kv_creator, unique_name)
  table.insert(_keys(1), [[1., 1.]])
  defaults = tf.constant([[7., 7.], [8., 8.], [9., 9.]])
  values = table.lookup(_keys(5, 1, 6), dynamic_default_values=defaults)
  np.testing.assert_array_equal(values, [[7., 7.], [1., 1.], [9., 9.]])
  assert int(table.size()) == 1  # Lookups never insert.


def test_table_accum_adds_deltas_and_inserts_full_rows_of_absent_keys(kv_creator,
                                                       unique_name):
  table = _table(kv_creator, unique_name)
  table.insert(_keys(1, 2), [[1., 1.], [2., 2.]])
  table.accum(_keys(1, 2, 3, 4), [[10., 10.], [20., 20.], [30., 30.],
                                  [40., 40.]], [True, False, False, True])
  keys, values = sorted_export(table)
  # 1: delta added; 2: stored since it was read as absent, so the full row
  # is not written over it; 3: full row written; 4: a delta for an absent
  # key is dropped (it was removed since read).
  np.testing.assert_array_equal(keys, [1, 2, 3])
  np.testing.assert_array_equal(values, [[11., 11.], [2., 2.], [30., 30.]])


def test_table_clear_removes_every_row(kv_creator, unique_name):
  table = _table(kv_creator, unique_name)
  table.insert(_keys(*range(10)), tf.ones([10, 2]))
  table.clear()
  assert int(table.size()) == 0


def test_table_exists_is_exact_for_rows_equal_to_the_default_and_nan(
    kv_creator, unique_name):
  table = _table(kv_creator, unique_name, default=0)
  table.insert(_keys(1, 2), [[0., 0.], [math.nan, 1.]])
  values, exists = table.lookup(_keys(1, 2, 3), return_exists=True)
  np.testing.assert_array_equal(exists, [True, True, False])
  assert np.isnan(values.numpy()[1, 0])


@pytest.mark.parametrize("value_dtype", [tf.float16, tf.bfloat16, tf.int8,
                                         tf.int32, tf.float64])
def test_table_round_trips_values_of_every_numeric_dtype(
    kv_creator, unique_name, value_dtype):
  table = _table(kv_creator, unique_name, value_dtype=value_dtype)
  rows = tf.cast([[1.5, -2.0], [3.0, 4.25]], value_dtype)
  table.insert(_keys(1, 2), rows)
  values, exists = table.lookup(_keys(2, 1, 3), return_exists=True)
  assert values.dtype == value_dtype
  np.testing.assert_array_equal(
      values.numpy().astype(np.float64),
      tf.cast(tf.stack([rows[1], rows[0], tf.zeros([2], value_dtype)]),
              tf.float64).numpy())
  np.testing.assert_array_equal(exists, [True, True, False])


def test_table_with_string_keys_and_bool_values(kv_creator, unique_name):
  table = _table(kv_creator, unique_name, value_dtype=tf.bool,
                 key_dtype=tf.string, default=False)
  table.insert(tf.constant(["a", "b"]), [[True, False], [False, False]])
  values, exists = table.lookup(tf.constant(["b", "z"]), return_exists=True)
  np.testing.assert_array_equal(values, [[False, False], [False, False]])
  np.testing.assert_array_equal(exists, [True, False])


def test_table_rejects_keys_of_another_dtype(kv_creator, unique_name):
  table = _table(kv_creator, unique_name)
  with pytest.raises(TypeError):
    table.lookup(tf.constant([1], tf.int32))
  with pytest.raises(TypeError):
    table.remove(tf.constant([1], tf.int32))


def test_table_checkpoint_restore_replaces_contents(kv_creator, unique_name,
                                                    tmp_path):
  table = _table(kv_creator, unique_name)
  table.insert(_keys(1, 2), [[1., 1.], [2., 2.]])
  checkpoint = tf.train.Checkpoint(table=table)
  path = checkpoint.save(str(tmp_path / "ckpt"))
  names = [name for name, _ in tf.train.list_variables(path)]
  assert "table/.ATTRIBUTES/table-keys" in names
  table.insert(_keys(2, 3), [[9., 9.], [3., 3.]])
  checkpoint.restore(path)
  keys, values = sorted_export(table)
  np.testing.assert_array_equal(keys, [1, 2])
  np.testing.assert_array_equal(values, [[1., 1.], [2., 2.]])


def test_table_ops_work_inside_tf_function(kv_creator, unique_name):
  table = _table(kv_creator, unique_name)

  @tf.function
  def step(keys, deltas):
    old, exists = table.lookup(keys, return_exists=True)
    table.accum(keys, deltas, exists)
    return old, table.size()

  step(_keys(1, 2), tf.ones([2, 2]))
  _, size = step(_keys(2, 3), tf.ones([2, 2]))
  assert int(size) == 3
  keys, values = sorted_export(table)
  np.testing.assert_array_equal(keys, [1, 2, 3])
  np.testing.assert_array_equal(values, [[1., 1.], [2., 2.], [1., 1.]])


_IMPORT_PROBE = """
import keras, tensorflow as tf
from tensorflow.python.checkpoint import restore
watched = [tf.Variable, tf.TensorShape, tf.train.Checkpoint,
           tf.lookup.experimental.MutableHashTable, keras.Variable,
           keras.layers.Layer, keras.optimizers.Adam, keras.optimizers.Optimizer,
           keras.initializers.VarianceScaling, restore.CheckpointPosition,
           tf.compat.v1.train.Saver, tf.compat.v1.train.Optimizer]
def snapshot():
  return [(c, dict(vars(c))) for c in watched]
before = snapshot()
import tensorflow_recommenders_addons.dynamic_embedding
assert snapshot() == before, "importing changed a TF or Keras class"
print("unchanged")
"""


def test_importing_the_package_patches_nothing():
  result = subprocess.run([sys.executable, "-c", _IMPORT_PROBE],
                          capture_output=True, text=True, check=False,
                          cwd=os.getcwd(), env=dict(os.environ,
                                                    PYTHONPATH=":".join(
                                                        sys.path)))
  assert result.returncode == 0, result.stderr[-2000:]
  assert result.stdout.strip().endswith("unchanged")


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

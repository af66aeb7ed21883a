"""Upstream's smaller public names: shadow_ops, GraphKeys, creators'
get_config, FieldWiseEmbedding's combiners, file-system save/load on the
in-process table, utils.check_platform, register_all, and a config that
names no connection mode."""

import json
import os
import platform
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import tensorflow_recommenders_addons as tfra
from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import training_util as tu
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests.training_util import sorted_export
from tensorflow_recommenders_addons.utils import check_platform

pytestmark = pytest.mark.usefixtures("fresh_session")


def test_shadow_variable_trains_through_a_tf_function(kv_creator,
                                                      unique_name):
  var = de.get_variable(unique_name, dim=2, initializer=1.0,
                        kv_creator=kv_creator)
  shadow = de.shadow_ops.ShadowVariable(var, name="user", max_norm=10.0)
  assert var.get_trainable_by_name("user") is shadow
  optimizer = de.DynamicEmbeddingOptimizer(keras.optimizers.SGD(0.5))

  @tf.function
  def step(ids):
    with tf.GradientTape() as tape:
      rows = de.shadow_ops.embedding_lookup(shadow, ids)
      loss = tf.reduce_sum(rows)
    optimizer.apply_gradients([(tape.gradient(loss, shadow), shadow)])
    return rows

  assert step(tu.keys(1, 2)).shape == (2, 2)
  step(tu.keys(2))
  keys, rows = sorted_export(var)
  np.testing.assert_array_equal(keys, [1, 2])
  np.testing.assert_allclose(rows, [[0.5, 0.5], [0., 0.]])
  with pytest.raises(ValueError):
    de.shadow_ops.embedding_lookup(shadow, tf.constant([1], tf.int32))
  with pytest.raises(ValueError):
    de.shadow_ops.ShadowVariable(var, name="user")


def test_shadow_lookup_unique_keeps_ragged_rows(unique_name):
  var = de.Variable(dim=3, name=unique_name, initializer=2.0)
  shadow = de.shadow_ops.ShadowVariable(var, name="lk")
  ids = tf.ragged.constant([[1, 2, 1], [3]], dtype=tf.int64)
  rows = de.shadow_ops.embedding_lookup_unique(shadow, ids, 3)
  assert isinstance(rows, tf.RaggedTensor)
  assert rows.row_lengths().numpy().tolist() == [3, 1]
  np.testing.assert_array_equal(rows.flat_values, np.full([4, 3], 2.0))


def test_graph_keys_are_upstreams_collection_names():
  assert de.GraphKeys.DYNAMIC_EMBEDDING_VARIABLES == (
      "dynamic_embedding_variables")
  assert de.GraphKeys.TRAINABLE_DYNAMIC_EMBEDDING_VARIABLES == (
      "trainable_dynamic_embedding_variables")


def test_creators_round_trip_through_get_config():
  saver = de.FileSystemSaver(proc_size=2, proc_rank=1, save_path="/x")
  redis = de.RedisTableCreator(
      de.RedisTableConfig(redis_config_abs_dir="/etc/r.json"), saver=saver)
  config = redis.get_config()
  json.dumps(config)  # JSON-safe, as Keras configs must be.
  again = de.RedisTableCreator.from_config(config)
  assert again.config == redis.config and again.saver == saver
  cuckoo = de.CuckooHashTableCreator.from_config(
      de.CuckooHashTableCreator().get_config())
  assert cuckoo.config is None and cuckoo.saver is None


def test_field_wise_embedding_takes_upstreams_sqrt_n(unique_name):
  layer = de.keras.layers.FieldWiseEmbedding(
      1, nslots=2, slot_map_fn=lambda ids: tf.math.floormod(ids, 2),
      combiner="sqrt_n", name=unique_name, initializer=1.0)
  out = layer(tf.constant([[0, 2, 4, 1]], tf.int64))
  np.testing.assert_allclose(out[0, :, 0], [np.sqrt(3.), 1.])
  with pytest.raises(ValueError, match="combiner"):
    de.keras.layers.FieldWiseEmbedding(1, 2, slot_map_fn=lambda i: i,
                                       combiner="sqrtn",
                                       name=unique_name + "b")


def test_in_process_table_saves_and_loads_key_value_files(
    standalone_setup, unique_name, tmp_path):
  table = de.CuckooHashTable(tf.int64, tf.float32, tf.zeros([2]),
                             name=unique_name + "_mht_1of1")
  table.insert(tu.keys(1, 2), [[1., 1.], [2., 2.]])
  table.save_to_file_system(str(tmp_path))
  assert sorted(os.listdir(tmp_path)) == [unique_name + "_mht_1of1-keys",
                                          unique_name + "_mht_1of1-values"]
  fresh = de.CuckooHashTable(tf.int64, tf.float32, tf.zeros([2]))
  fresh.load_from_file_system(str(tmp_path), file_name=unique_name,
                              load_entire_dir=True)
  np.testing.assert_array_equal(sorted_export(fresh)[1], [[1., 1.], [2., 2.]])
  # The Redis table reads the same files.
  redis = de.RedisTable(tf.int64, tf.float32, tf.zeros([2]), name=unique_name,
                        config=standalone_setup.creator().config)
  redis.load_from_file_system(str(tmp_path),
                              file_name=unique_name + "_mht_1of1")
  assert int(redis.size()) == 2


def test_check_platform_answers_for_this_machine():
  assert check_platform.is_linux() == (platform.system() == "Linux")
  assert not (check_platform.is_windows() and check_platform.is_macos())
  assert check_platform.is_arm64() == (platform.machine() in ("arm64",
                                                              "aarch64"))
  assert isinstance(check_platform.is_raspi_arm(), bool)


_REGISTER_ALL = """
from tensorflow.python.framework import op_def_registry
import tensorflow_recommenders_addons as tfra
assert op_def_registry.get("TFRA>RedisTableFind") is None  # import loads none
tfra.register_all()
tfra.register_all()  # idempotent
assert op_def_registry.get("TFRA>RedisTableFind") is not None
import keras
assert keras.saving.get_registered_object(
    "Recommenders-Addons>Embedding") is not None
print("ok")
"""


def test_register_all_loads_the_op_library_in_a_fresh_process():
  done = subprocess.run(
      [sys.executable, "-c", _REGISTER_ALL],
      env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)),
      capture_output=True, text=True, timeout=300, check=False)
  assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
  assert tfra.register_all is tfra.register.register_all


def test_a_config_without_connection_mode_reaches_a_plain_redis(
    standalone_setup, unique_name, tmp_path):
  config = standalone_setup.deployment.table_config()
  config.pop("redis_connection_mode")
  config.update(model_tag_runtime=unique_name, model_tag_import=unique_name)
  path = tmp_path / "no_mode.json"
  path.write_text(json.dumps(config))
  var = de.Variable(dim=1, name=unique_name, kv_creator=de.RedisTableCreator(
      de.RedisTableConfig(redis_config_abs_dir=str(path))))
  var.upsert(tu.keys(1), [[1.]])
  assert int(var.size()) == 1
  config["redis_connection_mode"] = 1  # Said explicitly: Sentinels needed.
  path.write_text(json.dumps(config))
  with pytest.raises(tf.errors.UnavailableError, match="Sentinel"):
    de.Variable(dim=1, name=unique_name + "s", kv_creator=de.RedisTableCreator(
        de.RedisTableConfig(redis_config_abs_dir=str(path)))).size()


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

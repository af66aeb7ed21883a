"""Slot tables this package wrote under Keras 3's slot names are moved, row for
row, to the names TFRA 0.8 used, when a job opens them (standalone and
Cluster), with one log line per moved table.
"""

import logging
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import training_util

pytestmark = pytest.mark.usefixtures("fresh_session")

_KEYS = tf.range(10, dtype=tf.int64)


@pytest.fixture
def tf_log():
  """The messages TensorFlow's logger emits during the test."""
  records = []
  handler = logging.Handler()
  handler.emit = lambda record: records.append(record.getMessage())
  logger = tf.get_logger()
  logger.addHandler(handler)
  yield records
  logger.removeHandler(handler)


def _write_rows(name, creator, seed):
  """Rows for _KEYS in the table `name`, as an earlier job left them."""
  rows = np.random.default_rng(seed).normal(size=(10, 3)).astype(np.float32)
  de.get_variable(name, dim=3, kv_creator=creator).upsert(_KEYS, rows)
  return rows


def _rows(variable):
  return variable.lookup(_KEYS).numpy()


def test_keras3_named_adam_slots_move_to_upstream_names(training_setup,
                                                        unique_name, tf_log):
  creator = training_util.creator_for(training_setup.write_config())
  momentum = _write_rows(unique_name + "/lk/momentum", creator, 1)
  velocity = _write_rows(unique_name + "/lk/velocity", creator, 2)
  var = de.get_variable(unique_name, dim=3, kv_creator=creator)
  optimizer = de.DynamicEmbeddingOptimizer(keras.optimizers.Adam(0.1))
  _, wrapper = de.embedding_lookup(var, _KEYS, name="lk",
                                   return_trainable=True)

  optimizer.build([wrapper])

  m, v = var.get_slot_variables(optimizer)
  assert (m.name, v.name) == (unique_name + "/lk/m", unique_name + "/lk/v")
  np.testing.assert_array_equal(_rows(m), momentum)
  np.testing.assert_array_equal(_rows(v), velocity)
  assert not training_setup.keys("*%s_lk_momentum*" % unique_name)
  assert not training_setup.keys("*%s_lk_velocity*" % unique_name)
  moved = [line for line in tf_log if line.startswith("Moved slot table")]
  assert len(moved) == 2, tf_log


def test_keras3_named_layer_slots_move_to_upstream_names(training_setup,
                                                         unique_name):
  creator = training_util.creator_for(training_setup.write_config())
  old = "%s-parameter/%s-shadow/accumulator" % (unique_name, unique_name)
  accumulator = _write_rows(old, creator, 3)
  ids = keras.Input(shape=(1,), dtype="int64")
  layer = de.keras.layers.Embedding(3, name=unique_name, kv_creator=creator)
  model = keras.Model(ids, layer(ids))
  optimizer = de.DynamicEmbeddingOptimizer(keras.optimizers.Adagrad(0.1))

  optimizer.build(model.trainable_variables)

  (slot,) = layer.params.get_slot_variables(optimizer)
  assert slot.name == "%s-parameter/DynamicEmbedding/%s-shadow/accumulator" % (
      unique_name, unique_name)
  np.testing.assert_array_equal(_rows(slot), accumulator)


def test_a_slot_table_with_rows_keeps_them_and_the_old_one_stays(
    training_setup, unique_name, tf_log):
  creator = training_util.creator_for(training_setup.write_config())
  momentum = _write_rows(unique_name + "/lk/momentum", creator, 4)
  current = _write_rows(unique_name + "/lk/m", creator, 5)
  var = de.get_variable(unique_name, dim=3, kv_creator=creator)
  optimizer = de.DynamicEmbeddingOptimizer(keras.optimizers.SGD(0.1,
                                                                momentum=0.9))
  _, wrapper = de.embedding_lookup(var, _KEYS, name="lk",
                                   return_trainable=True)

  optimizer.build([wrapper])

  (m,) = var.get_slot_variables(optimizer)
  np.testing.assert_array_equal(_rows(m), current)
  old = de.get_variable(unique_name + "/lk/momentum", dim=3,
                        kv_creator=creator)
  np.testing.assert_array_equal(_rows(old), momentum)
  assert any("has rows, and so has its former name" in line
             for line in tf_log), tf_log


def test_nothing_to_move_logs_nothing(training_setup, unique_name, tf_log):
  creator = training_util.creator_for(training_setup.write_config())
  var = de.get_variable(unique_name, dim=3, kv_creator=creator)
  optimizer = de.DynamicEmbeddingOptimizer(keras.optimizers.Adam(0.1))
  _, wrapper = de.embedding_lookup(var, _KEYS, name="lk",
                                   return_trainable=True)
  optimizer.build([wrapper])
  assert len(var.get_slot_variables(optimizer)) == 2
  assert not [line for line in tf_log if "slot table" in line.lower()]


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

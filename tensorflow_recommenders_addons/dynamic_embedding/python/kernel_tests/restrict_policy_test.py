"""Restrict policies: status tables in the variable's backend, restriction of
the variable, its status and its optimizer slots, in every execution mode.

Two worker processes sharing one Redis are in restrict_workers_test.py.
"""

import sys
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import training_util as tu
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests.training_util import sorted_export

pytestmark = pytest.mark.usefixtures("fresh_session")


def _train(var, optimizer, batches):
  """One eager GradientTape step per batch of ids (loss: sum of squares)."""
  for ids in batches:
    with tf.GradientTape() as tape:
      rows, wrapper = de.embedding_lookup(var, tu.keys(*ids), name="lk",
                                          return_trainable=True)
      loss = tf.reduce_sum(rows * rows)
    optimizer.apply_gradients([(tape.gradient(loss, wrapper), wrapper)])


def _key_set(var):
  return set(sorted_export(var)[0].tolist())


# Step s trains ids 0..(9 - s): id i is trained 10 - i times.
_DESCENDING = [list(range(10 - s)) for s in range(10)]


def test_frequency_policy_counts_steps_and_keeps_the_most_frequent_keys(
    kv_creator, unique_name, devices):
  var = de.get_variable(unique_name, dim=2, initializer=0.5, devices=devices,
                        kv_creator=kv_creator,
                        restrict_policy=de.FrequencyRestrictPolicy)
  optimizer = de.DynamicEmbeddingOptimizer(keras.optimizers.Adam(0.1))
  _train(var, optimizer, _DESCENDING)
  counts = dict(zip(*[a.ravel().tolist()
                      for a in sorted_export(var.restrict_policy.status)]))
  assert counts == {i: 10 - i for i in range(10)}
  slots = var.get_slot_variables(optimizer)
  assert len(slots) == 2
  assert var.restrict_policy.params_in_slots == slots

  var.restrict(4, trigger=6)
  # Shards with tables of their own keep 4 // 2 each (upstream's rule), the
  # shared Redis table 4 in all: here both are the four most frequent.
  for table in [var, var.restrict_policy.status] + slots:
    assert _key_set(table) == {0, 1, 2, 3}, table.name


def test_no_restriction_at_or_below_the_trigger(kv_creator, unique_name):
  var = de.Variable(dim=1, name=unique_name, kv_creator=kv_creator,
                    restrict_policy=de.FrequencyRestrictPolicy)
  _train(var, de.DynamicEmbeddingOptimizer(keras.optimizers.SGD(0.1)),
         [[1, 2, 3]])
  var.restrict(1, trigger=3)
  assert int(var.size()) == 3
  var.restrict(1)
  assert int(var.size()) == 1


def test_timestamp_policy_records_the_time_and_drops_the_oldest(
    kv_creator, unique_name):
  var = de.Variable(dim=1, name=unique_name, kv_creator=kv_creator,
                    restrict_policy=de.TimestampRestrictPolicy)
  status = var.restrict_policy.status
  assert status.value_dtype == tf.int32 and status.dim == 1
  before = int(time.time())
  _train(var, de.DynamicEmbeddingOptimizer(keras.optimizers.SGD(0.1)),
         [[1, 2, 3, 4]])
  stamps = sorted_export(status)[1].ravel()
  assert all(before <= s <= time.time() + 1 for s in stamps), stamps
  status.upsert(tu.keys(1, 2), [[before - 100], [before - 50]])  # Older.
  var.restrict(2)
  assert _key_set(var) == _key_set(status) == {3, 4}


def test_restriction_runs_as_an_op_in_a_tf1_graph(unique_name):
  with tf.Graph().as_default(), tf.compat.v1.Session() as session:
    var = de.get_variable(unique_name, dim=1,
                          restrict_policy=de.FrequencyRestrictPolicy)
    status = var.restrict_policy.status
    assert status.name == "status/%s/frequency" % unique_name  # upstream's
    session.run([
        var.upsert(tu.keys(1, 2, 3), [[1.], [2.], [3.]]),
        status.upsert(tu.keys(1, 2, 3), [[5], [1], [3]])
    ])
    restrict = var.restrict(2, trigger=2)
    session.run(restrict)
    assert session.run(var.size()) == 2
    assert sorted(session.run(status.export()[0]).tolist()) == [1, 3]


def test_restriction_inside_a_tf_function(kv_creator, unique_name):
  var = de.Variable(dim=1, name=unique_name, kv_creator=kv_creator,
                    restrict_policy=de.FrequencyRestrictPolicy)
  var.upsert(tu.keys(1, 2, 3), [[1.], [2.], [3.]])
  var.restrict_policy.status.upsert(tu.keys(1, 2, 3), [[5], [1], [3]])

  @tf.function
  def restrict():
    return var.restrict(1)

  assert bool(restrict())
  assert _key_set(var) == {1}


def test_status_variables_are_named_as_upstream(unique_name):
  # Eagerly `<var>/<suffix>` behind the variable scope (upstream repeats
  # the scope, and so must we to find its tables again).
  var = de.get_variable(unique_name, restrict_policy=de.FrequencyRestrictPolicy)
  assert var.restrict_policy.status.name == unique_name + "/frequency"
  with tf.compat.v1.variable_scope("sc"):
    scoped = de.get_variable(unique_name,
                             restrict_policy=de.TimestampRestrictPolicy)
  assert scoped.restrict_policy.status.name == "sc/sc/%s/timestamp" % (
      unique_name)


def test_status_tables_live_in_the_same_redis(standalone_setup, unique_name):
  config = standalone_setup.write_config()
  creator = de.RedisTableCreator(
      de.RedisTableConfig(redis_config_abs_dir=config))
  var = de.get_variable(unique_name, dim=2, kv_creator=creator,
                        restrict_policy=de.FrequencyRestrictPolicy)
  _train(var, de.DynamicEmbeddingOptimizer(keras.optimizers.SGD(0.1)),
         [[1, 2]])
  names = standalone_setup.keys("*%s_frequency{[0-9]*" % unique_name)
  assert len(names) == 1, names
  assert list(names)[0].endswith(":%s_frequency{3560}" % unique_name)


def test_keras_layers_take_a_restrict_policy(kv_creator, unique_name):
  ids = keras.Input(shape=(2,), dtype="int64")
  layer = de.keras.layers.Embedding(
      2, name=unique_name, kv_creator=kv_creator,
      restrict_policy=de.FrequencyRestrictPolicy)
  model = keras.Model(ids, keras.ops.sum(layer(ids), axis=[1, 2]))
  model.compile(de.DynamicEmbeddingOptimizer(keras.optimizers.Adam(0.1)),
                loss="mse")
  x = np.arange(40, dtype=np.int64).reshape(20, 2)
  model.fit(x, np.zeros([20]), batch_size=5, epochs=2, verbose=0)
  params = layer.params
  counts = sorted_export(params.restrict_policy.status)[1].ravel()
  np.testing.assert_array_equal(counts, [2] * 40)  # 2 epochs, each id once
  params.restrict(10)
  assert int(params.size()) == 10
  for slot in params.restrict_policy.params_in_slots:
    assert int(slot.size()) == 10
  assert layer.get_config()["restrict_policy"] == "FrequencyRestrictPolicy"


def test_misuse_raises_or_warns_as_upstream(unique_name):
  with pytest.raises(TypeError):
    de.Variable(name=unique_name, restrict_policy=object)
  plain = de.Variable(name=unique_name + "p")
  assert plain.restrict(1) is None  # Upstream warns and returns None.
  var = de.Variable(name=unique_name, restrict_policy=de.FrequencyRestrictPolicy)
  with pytest.raises(TypeError):
    var.restrict(1.5)
  with pytest.raises(ValueError):
    var.restrict(-1)
  with pytest.raises(TypeError):
    var.restrict(1, trigger="2")


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

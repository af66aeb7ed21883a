"""MirroredStrategy with 2 CPU replicas in this process, embeddings in Redis.

Each replica trains on half of every global batch; the replicas merge their
embedding gradients so each row (and slot row) gets one update per step
(replica_rows.py). A model trained so must end with the same rows, slots and
dense weights as the same seeded model trained without a strategy on the
whole batches, up to float reassociation: in a custom loop (`strategy.run`
in a `tf.function`) with SGD and with Adam, also with a lookup per id
column, and in Keras `model.fit`, on a standalone Redis and on a Cluster. Both runs start from equal table rows
(no new ids), since a new id's first row is random.
"""

import sys

import tensorflow as tf

# Two CPU devices for the two replicas; set before TensorFlow starts up.
tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0],
    [tf.config.LogicalDeviceConfiguration()] * 2)

# pylint: disable=g-import-not-at-top,wrong-import-position
import keras
import numpy as np
import pytest

from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import training_util as tu
# pylint: enable=g-import-not-at-top,wrong-import-position

pytestmark = pytest.mark.usefixtures("fresh_session")

_STEPS = 6
_RTOL = 1e-5


@pytest.fixture(name="strategy")
def _strategy():
  return tf.distribute.MirroredStrategy(["/CPU:0", "/CPU:1"])


def _seeded(trainer):
  trainer.layer.params.upsert(*tu.start_rows())
  return trainer


def _global_batches():
  data = tu.batches(_STEPS, seed=3)
  return tf.data.Dataset.from_tensor_slices(
      (tf.concat([ids for ids, _ in data], 0),
       tf.concat([y for _, y in data], 0))).batch(tu.BATCH)


def _reference(setup, name, optimizer):
  trainer = _seeded(tu.Trainer(name, setup.creator(), optimizer))
  trainer.train(tu.batches(_STEPS, seed=3))
  return trainer.snapshot()


def _assert_close(actual, expected):
  """`Trainer.snapshot()`s equal up to float reassociation."""
  assert len(actual) == len(expected)
  for (keys, rows), (want_keys, want_rows) in zip(actual[:-1], expected[:-1]):
    np.testing.assert_array_equal(keys, want_keys)
    np.testing.assert_allclose(rows, want_rows, rtol=_RTOL, atol=1e-7)
  for weight, want in zip(actual[-1], expected[-1]):
    np.testing.assert_allclose(weight, want, rtol=_RTOL, atol=1e-7)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_custom_loop_replicas_end_like_one_process_on_whole_batches(
    training_setup, unique_name, strategy, optimizer):
  reference = _reference(training_setup, unique_name, optimizer)
  keras.backend.clear_session()
  trainer = _seeded(tu.Trainer(unique_name, training_setup.creator(),
                               optimizer, strategy=strategy))
  trainer.train(strategy.experimental_distribute_dataset(_global_batches()))
  snapshot = trainer.snapshot()
  assert len(snapshot) == len(reference) == 2 + tu.SLOT_COUNT[optimizer]
  _assert_close(snapshot, reference)
  assert not np.allclose(snapshot[0][1], tu.start_rows()[1].numpy())


def test_model_fit_replicas_end_like_one_process_on_whole_batches(
    training_setup, unique_name, strategy):
  reference = _reference(training_setup, unique_name, "sgd")
  keras.backend.clear_session()
  trainer = _seeded(tu.Trainer(unique_name, training_setup.creator(), "sgd",
                               strategy=strategy))
  trainer.compile()
  trainer.model.fit(_global_batches(), epochs=1, shuffle=False, verbose=0)
  _assert_close(trainer.snapshot(), reference)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_a_lookup_per_column_in_replicas_ends_like_one_lookup_in_one_process(
    training_setup, unique_name, strategy, optimizer):
  """Each replica looks the layer up once per id column (ids repeat across
  the columns and the replicas): still one update per row per step."""
  reference = _reference(training_setup, unique_name, optimizer)
  keras.backend.clear_session()
  trainer = _seeded(tu.Trainer(unique_name, training_setup.creator(),
                               optimizer, strategy=strategy,
                               lookup_per_column=True))
  trainer.train(strategy.experimental_distribute_dataset(_global_batches()))
  _assert_close(trainer.snapshot(), reference)


def _lookup_per_replica(strategy, layer):
  """Each replica looks up its own ids; returns each one's rows."""
  ids = strategy.experimental_distribute_values_from_function(
      lambda context: tf.constant([[context.replica_id_in_sync_group]],
                                  tf.int64))
  rows = strategy.run(tf.function(lambda i: layer(i, training=True)),
                      args=(ids,))
  return [r.numpy() for r in strategy.experimental_local_results(rows)]


def test_layer_given_the_strategy_keeps_one_row_buffer_per_replica(strategy):
  layer = de.keras.layers.Embedding(tu.DIM, name="given", initializer=0.0,
                                    distribute_strategy=strategy)
  layer.params.upsert(tf.constant([0, 1], tf.int64),
                      tf.constant([[1.0] * tu.DIM, [2.0] * tu.DIM]))
  assert layer.distribute_strategy is strategy
  first, second = _lookup_per_replica(strategy, layer)
  np.testing.assert_array_equal(first, [[[1.0] * tu.DIM]])
  np.testing.assert_array_equal(second, [[[2.0] * tu.DIM]])


def test_layer_made_outside_the_strategy_is_refused_by_its_replicas(strategy):
  layer = de.keras.layers.Embedding(tu.DIM, name="outside")
  with pytest.raises(ValueError, match="strategy.scope"):
    _lookup_per_replica(strategy, layer)


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

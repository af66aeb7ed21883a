"""DynamicEmbeddingOptimizer in custom GradientTape loops.

The central check: an embedding trained through a de.Variable follows exactly
the trajectory of the same embedding held in a dense tf.Variable and trained
by the same Keras optimizer (batches contain every id, so every row is updated
in both).
"""

import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests.training_util import sorted_export

pytestmark = pytest.mark.usefixtures("fresh_session")

_VOCAB, _DIM, _STEPS = 6, 3, 4

_OPTIMIZERS = {
    "sgd": lambda: keras.optimizers.SGD(0.1),
    "sgd_momentum": lambda: keras.optimizers.SGD(0.1, momentum=0.9),
    "adagrad": lambda: keras.optimizers.Adagrad(0.1),
    "adam": lambda: keras.optimizers.Adam(0.05),
    "adam_amsgrad": lambda: keras.optimizers.Adam(0.05, amsgrad=True),
    "adamw": lambda: keras.optimizers.AdamW(0.05, weight_decay=0.1),
    "rmsprop": lambda: keras.optimizers.RMSprop(0.01, momentum=0.5),
    "adamax": lambda: keras.optimizers.Adamax(0.05),
    "nadam": lambda: keras.optimizers.Nadam(0.05),
    "ftrl": lambda: keras.optimizers.Ftrl(0.1),
    "lion": lambda: keras.optimizers.Lion(0.01),
    "adadelta": lambda: keras.optimizers.Adadelta(1.0),
}


def _batches():
  rng = np.random.default_rng(3)
  for _ in range(_STEPS):
    ids = np.concatenate([rng.permutation(_VOCAB), rng.integers(0, _VOCAB, 2)])
    yield tf.constant(ids, tf.int64), tf.constant(rng.normal(size=(8, 1)),
                                                  tf.float32)


def _initial_values():
  rng = np.random.default_rng(1)
  return (rng.normal(size=(_VOCAB, _DIM)).astype(np.float32),
          rng.normal(size=(_DIM, 1)).astype(np.float32))


def _train_dense(make_optimizer):
  table0, w0 = _initial_values()
  table, w = tf.Variable(table0), tf.Variable(w0)
  optimizer = make_optimizer()

  @tf.function
  def step(ids, y):
    with tf.GradientTape() as tape:
      loss = tf.reduce_mean((tf.gather(table, ids) @ w - y)**2)
    grads = tape.gradient(loss, [table, w])
    optimizer.apply_gradients(zip([tf.convert_to_tensor(grads[0]), grads[1]],
                                  [table, w]))

  for ids, y in _batches():
    step(ids, y)
  return table.numpy(), w.numpy()


def _train_dynamic(make_optimizer, var, bp_v2=False):
  table0, w0 = _initial_values()
  var.upsert(tf.range(_VOCAB, dtype=tf.int64), table0)
  w = tf.Variable(w0)
  optimizer = de.DynamicEmbeddingOptimizer(make_optimizer(), bp_v2=bp_v2)

  @tf.function
  def step(ids, y):
    with tf.GradientTape() as tape:
      rows, wrapper = de.embedding_lookup(var, ids, name="lk",
                                          return_trainable=True)
      loss = tf.reduce_mean((rows @ w - y)**2)
    grads = tape.gradient(loss, [wrapper, w])
    optimizer.apply_gradients(zip(grads, [wrapper, w]))
    return loss

  for ids, y in _batches():
    step(ids, y)
  return var.lookup(tf.range(_VOCAB, dtype=tf.int64)).numpy(), w.numpy(), (
      optimizer)


@pytest.mark.parametrize("name", sorted(_OPTIMIZERS))
def test_dynamic_rows_follow_the_dense_trajectory(kv_creator, unique_name,
                                                  name):
  var = de.Variable(dim=_DIM, name=unique_name, kv_creator=kv_creator)
  table, w, _ = _train_dynamic(_OPTIMIZERS[name], var)
  expected_table, expected_w = _train_dense(_OPTIMIZERS[name])
  np.testing.assert_allclose(table, expected_table, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(w, expected_w, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["adam", "adagrad"])
def test_bp_v2_delta_updates_match_upserts(kv_creator, unique_name, name):
  var = de.Variable(dim=_DIM, name=unique_name, kv_creator=kv_creator,
                    bp_v2=True)
  table, _, optimizer = _train_dynamic(_OPTIMIZERS[name], var, bp_v2=True)
  expected_table, _ = _train_dense(_OPTIMIZERS[name])
  np.testing.assert_allclose(table, expected_table, rtol=1e-5, atol=1e-6)
  assert all(slot.bp_v2 for slot in var.get_slot_variables(optimizer))


def test_slots_are_variables_of_the_same_creator_named_like_upstream(
    kv_creator, unique_name):
  var = de.Variable(dim=_DIM, name=unique_name, kv_creator=kv_creator)
  _, _, optimizer = _train_dynamic(_OPTIMIZERS["adam"], var)
  slots = var.get_slot_variables(optimizer)
  assert [s.name for s in slots] == [
      "%s/lk/m" % unique_name,
      "%s/lk/v" % unique_name
  ]
  for slot in slots:
    assert slot.kv_creator is var.kv_creator
    assert not slot.trainable
    assert int(slot.size()) == _VOCAB
  assert type(optimizer).__name__ == "Adam"
  assert isinstance(optimizer, keras.optimizers.Adam)


def test_short_file_name_drops_the_lookup_name_from_slots(unique_name):
  var = de.Variable(dim=_DIM, name=unique_name, short_file_name=True)
  _, _, optimizer = _train_dynamic(_OPTIMIZERS["adagrad"], var)
  assert [s.name for s in var.get_slot_variables(optimizer)
         ] == ["%s/accumulator" % unique_name]


def test_new_keys_start_from_the_slot_initial_value(kv_creator, unique_name):
  var = de.Variable(dim=2, name=unique_name, initializer=1.0,
                    kv_creator=kv_creator)
  optimizer = de.DynamicEmbeddingOptimizer(
      keras.optimizers.Adagrad(0.1, initial_accumulator_value=0.5))
  with tf.GradientTape() as tape:
    rows, wrapper = de.embedding_lookup(var, tf.constant([7], tf.int64),
                                        name="lk", return_trainable=True)
    loss = tf.reduce_sum(rows * tf.constant([[1.0, 2.0]]))
  optimizer.apply_gradients(zip(tape.gradient(loss, [wrapper]), [wrapper]))
  (accumulator,) = var.get_slot_variables(optimizer)
  np.testing.assert_allclose(accumulator.lookup(tf.constant([7], tf.int64)),
                             [[1.5, 4.5]])
  np.testing.assert_allclose(
      var.lookup(tf.constant([7], tf.int64)),
      [[1 - 0.1 / np.sqrt(1.5 + 1e-7), 1 - 0.2 / np.sqrt(4.5 + 1e-7)]],
      rtol=1e-6)


def test_non_trainable_variable_is_left_alone(unique_name):
  var = de.Variable(dim=2, name=unique_name, initializer=1.0, trainable=False)
  w = tf.Variable([[1.0], [1.0]])
  optimizer = de.DynamicEmbeddingOptimizer(keras.optimizers.SGD(0.5))
  ids = tf.constant([1, 2], tf.int64)
  with tf.GradientTape() as tape:
    rows, wrapper = de.embedding_lookup(var, ids, name="lk",
                                        return_trainable=True)
    loss = tf.reduce_sum(rows @ w)
  wrapper_grad, w_grad = tape.gradient(loss, [wrapper, w])
  assert wrapper_grad is None  # Rows of a non-trainable variable.
  optimizer.apply_gradients([(tf.ones([2, 2]), wrapper), (w_grad, w)])
  assert int(var.size()) == 0
  np.testing.assert_allclose(w, [[0.0], [0.0]])


def test_checkpoint_restores_rows_and_slots_exactly(kv_creator, unique_name,
                                                    tmp_path):
  var = de.Variable(dim=_DIM, name=unique_name, kv_creator=kv_creator,
                    devices=["/CPU:0"] * 2)
  _, _, optimizer = _train_dynamic(_OPTIMIZERS["adam"], var)
  checkpoint = tf.train.Checkpoint(var=var, optimizer=optimizer)
  path = checkpoint.save(str(tmp_path / "ckpt"))
  tracked = [var] + var.get_slot_variables(optimizer)
  saved = [sorted_export(v) for v in tracked]
  for v in tracked:
    v.upsert(tf.constant([100, 1], tf.int64), tf.fill([2, _DIM], 9.0))
  checkpoint.restore(path)
  for v, (keys, values) in zip(tracked, saved):
    restored_keys, restored_values = sorted_export(v)
    np.testing.assert_array_equal(restored_keys, keys)
    np.testing.assert_array_equal(restored_values, values)


def test_wrapping_errors():
  with pytest.raises(TypeError):
    de.DynamicEmbeddingOptimizer(object())
  with pytest.raises(TypeError):
    de.DynamicEmbeddingOptimizer(keras.optimizers.Adam(), unknown=1)
  with pytest.raises(NotImplementedError):
    de.DynamicEmbeddingOptimizer(keras.optimizers.Adam(), synchronous=True)
  with pytest.raises(ValueError):
    de.DynamicEmbeddingOptimizer(keras.optimizers.Adam(use_ema=True))
  built = keras.optimizers.Adam()
  built.build([tf.Variable([1.0])])
  with pytest.raises(ValueError):
    de.DynamicEmbeddingOptimizer(built)


def test_wrapping_returns_the_same_object_and_is_idempotent():
  optimizer = keras.optimizers.Adam()
  assert de.DynamicEmbeddingOptimizer(optimizer) is optimizer
  assert de.DynamicEmbeddingOptimizer(optimizer) is optimizer
  scaled = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD())
  assert de.DynamicEmbeddingOptimizer(scaled) is scaled
  assert hasattr(scaled.inner_optimizer, "get_slot_wrappers")


def test_loss_falls_in_an_eager_loop_with_a_loss_scale_optimizer(unique_name):
  var = de.Variable(dim=_DIM, name=unique_name,
                    initializer=keras.initializers.RandomNormal(seed=1))
  w = tf.Variable(_initial_values()[1])
  optimizer = de.DynamicEmbeddingOptimizer(
      keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(0.05)))
  ids = tf.constant([1, 2, 3, 3], tf.int64)
  y = tf.constant([[1.0], [-1.0], [0.5], [0.5]])
  losses = []
  for _ in range(20):
    with tf.GradientTape() as tape:
      rows, wrapper = de.embedding_lookup(var, ids, name="lk",
                                          return_trainable=True)
      loss = tf.reduce_mean((rows @ w - y)**2)
      scaled_loss = optimizer.scale_loss(loss)
    grads = tape.gradient(scaled_loss, [wrapper, w])
    optimizer.apply_gradients(zip(grads, [wrapper, w]))
    losses.append(float(loss))
  assert losses[-1] < 0.1 * losses[0]
  assert int(var.size()) == 3


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

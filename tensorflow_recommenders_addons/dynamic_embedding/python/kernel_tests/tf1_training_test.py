"""`tf.compat.v1.train` optimizers training `de.Variable`s: in a TF1 graph run
by a `Session` or a `MonitoredTrainingSession`, and inside `tf.function`.

The central check, as for Keras optimizers: an embedding trained through a
de.Variable follows exactly the trajectory of the same embedding held in a
dense variable and trained by the same TF1 optimizer (batches hold every id,
so every row is updated in both). Slots are named as TFRA 0.8 named them:
`<var>/<optimizer name>/<slot>`, one per variable.
"""

import sys

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.python.keras.optimizer_v2 import adam as optimizer_v2_adam

from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests.training_util import sorted_export

pytestmark = pytest.mark.usefixtures("fresh_session")

_VOCAB, _DIM, _STEPS = 6, 3, 4
_TRAIN = tf.compat.v1.train

_OPTIMIZERS = {
    "gradient_descent": lambda: _TRAIN.GradientDescentOptimizer(0.1),
    "adagrad": lambda: _TRAIN.AdagradOptimizer(0.1),
    "adam": lambda: _TRAIN.AdamOptimizer(0.05),
    "ftrl": lambda: _TRAIN.FtrlOptimizer(0.1),
    "momentum": lambda: _TRAIN.MomentumOptimizer(0.1, momentum=0.9),
    "rmsprop": lambda: _TRAIN.RMSPropOptimizer(0.01, momentum=0.5),
    "rmsprop_centered": lambda: _TRAIN.RMSPropOptimizer(0.01, centered=True),
}


def _batches():
  rng = np.random.default_rng(3)
  for _ in range(_STEPS):
    ids = np.concatenate([rng.permutation(_VOCAB), rng.integers(0, _VOCAB, 2)])
    yield ids.astype(np.int64), rng.normal(size=(8, 1)).astype(np.float32)


def _initial_values():
  rng = np.random.default_rng(1)
  return (rng.normal(size=(_VOCAB, _DIM)).astype(np.float32),
          rng.normal(size=(_DIM, 1)).astype(np.float32))


def _train_in_graph(make_optimizer, embed):
  """Trains `embed(ids) @ w` in a TF1 graph; `embed(ids)` returns
  `(rows, read_table)`. Returns (table, w)."""
  _, w0 = _initial_values()
  with tf.Graph().as_default():
    ids = tf.compat.v1.placeholder(tf.int64, [None])
    y = tf.compat.v1.placeholder(tf.float32, [None, 1])
    w = tf.compat.v1.get_variable("w", initializer=w0, use_resource=True)
    rows, read_table = embed(ids)
    loss = tf.reduce_mean((rows @ w - y)**2)
    train_op = make_optimizer().minimize(loss)
    with tf.compat.v1.Session() as sess:
      sess.run(tf.compat.v1.global_variables_initializer())
      for batch_ids, batch_y in _batches():
        sess.run(train_op, {ids: batch_ids, y: batch_y})
      return sess.run(read_table()), sess.run(w)


def _dense_embed(ids):
  table0, _ = _initial_values()
  table = tf.compat.v1.get_variable("table", initializer=table0,
                                    use_resource=True)
  return tf.gather(table, ids), table.read_value


def _train_dynamic_in_graph(make_optimizer, make_var):
  """As `_train_in_graph`, the table a de.Variable (rows upserted first)."""
  _, w0 = _initial_values()
  table0, _ = _initial_values()
  with tf.Graph().as_default():
    var = make_var()
    init_rows = var.upsert(tf.range(_VOCAB, dtype=tf.int64), table0)
    ids = tf.compat.v1.placeholder(tf.int64, [None])
    y = tf.compat.v1.placeholder(tf.float32, [None, 1])
    w = tf.compat.v1.get_variable("w", initializer=w0, use_resource=True)
    rows = de.embedding_lookup(var, ids, name="lk")
    loss = tf.reduce_mean((rows @ w - y)**2)
    optimizer = de.DynamicEmbeddingOptimizer(make_optimizer(),
                                             bp_v2=var.bp_v2)
    train_op = optimizer.minimize(loss)
    table = var.lookup(tf.range(_VOCAB, dtype=tf.int64))
    with tf.compat.v1.Session() as sess:
      sess.run(tf.compat.v1.global_variables_initializer())
      sess.run(init_rows)
      for batch_ids, batch_y in _batches():
        sess.run(train_op, {ids: batch_ids, y: batch_y})
      return sess.run(table), sess.run(w), optimizer, var


@pytest.mark.parametrize("name", sorted(_OPTIMIZERS))
def test_graph_training_follows_the_dense_trajectory(kv_creator, unique_name,
                                                     name):
  expected_table, expected_w = _train_in_graph(_OPTIMIZERS[name], _dense_embed)
  table, w, _, _ = _train_dynamic_in_graph(
      _OPTIMIZERS[name],
      lambda: de.get_variable(unique_name, dim=_DIM, kv_creator=kv_creator))
  np.testing.assert_allclose(table, expected_table, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(w, expected_w, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["adam", "ftrl"])
def test_bp_v2_delta_updates_match_in_graph(kv_creator, unique_name, name):
  expected_table, _ = _train_in_graph(_OPTIMIZERS[name], _dense_embed)
  table, _, optimizer, var = _train_dynamic_in_graph(
      _OPTIMIZERS[name],
      lambda: de.get_variable(unique_name, dim=_DIM, kv_creator=kv_creator,
                              bp_v2=True))
  np.testing.assert_allclose(table, expected_table, rtol=1e-5, atol=1e-6)
  assert all(slot.bp_v2 for slot in var.get_slot_variables(optimizer))


@pytest.mark.parametrize("name", ["adagrad", "adam", "rmsprop"])
def test_tf_function_training_follows_the_dense_trajectory(
    kv_creator, unique_name, name):
  expected_table, expected_w = _train_in_graph(_OPTIMIZERS[name], _dense_embed)
  table0, w0 = _initial_values()
  var = de.get_variable(unique_name, dim=_DIM, kv_creator=kv_creator)
  var.upsert(tf.range(_VOCAB, dtype=tf.int64), table0)
  w = tf.Variable(w0)
  optimizer = de.DynamicEmbeddingOptimizer(_OPTIMIZERS[name]())

  @tf.function
  def step(ids, y):
    with tf.GradientTape() as tape:
      rows, trainable = de.embedding_lookup(var, ids, name="lk",
                                            return_trainable=True)
      loss = tf.reduce_mean((rows @ w - y)**2)
    grads = tape.gradient(loss, [trainable, w])
    optimizer.apply_gradients(zip(grads, [trainable, w]))

  for ids, y in _batches():
    step(tf.constant(ids), tf.constant(y))
  np.testing.assert_allclose(var.lookup(tf.range(_VOCAB, dtype=tf.int64)),
                             expected_table, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(w, expected_w, rtol=1e-5, atol=1e-6)


def test_checkpoint_restores_rows_and_slots(kv_creator, unique_name, tmp_path):
  var = de.get_variable(unique_name, dim=_DIM, kv_creator=kv_creator,
                        initializer=0.5)
  optimizer = de.DynamicEmbeddingOptimizer(_TRAIN.AdamOptimizer(0.1))
  for _ in range(2):
    with tf.GradientTape() as tape:
      rows, trainable = de.embedding_lookup(
          var, tf.constant([1, 2, 3], tf.int64), name="lk",
          return_trainable=True)
      loss = tf.reduce_sum(rows * rows)
    optimizer.apply_gradients(zip(tape.gradient(loss, [trainable]),
                                  [trainable]))
  checkpoint = tf.train.Checkpoint(var=var, optimizer=optimizer)
  path = checkpoint.save(str(tmp_path / "ckpt"))
  tracked = [var] + var.get_slot_variables(optimizer)
  assert len(tracked) == 3
  saved = [sorted_export(v) for v in tracked]
  for v in tracked:
    v.upsert(tf.constant([100, 1], tf.int64), tf.fill([2, _DIM], 9.0))

  checkpoint.restore(path).assert_existing_objects_matched()

  for v, (keys, values) in zip(tracked, saved):
    restored_keys, restored_values = sorted_export(v)
    np.testing.assert_array_equal(restored_keys, keys)
    np.testing.assert_array_equal(restored_values, values)


def test_slots_are_named_per_variable_and_optimizer_name(unique_name):
  with tf.Graph().as_default():
    var = de.get_variable(unique_name, dim=_DIM)
    ids = tf.constant([1, 2], tf.int64)
    first, tw1 = de.embedding_lookup(var, ids, name="a", return_trainable=True)
    second, tw2 = de.embedding_lookup(var, ids + 5, name="b",
                                      return_trainable=True)
    optimizer = de.DynamicEmbeddingOptimizer(_TRAIN.AdamOptimizer(
        0.1, name="MyAdam"))
    optimizer.minimize(tf.reduce_sum(first) + tf.reduce_sum(second))
    assert optimizer.get_slot_names() == ["m", "v"]
    for trainable in (tw1, tw2):
      assert [optimizer.get_slot(trainable, s).params.name
              for s in ("m", "v")] == [unique_name + "/MyAdam/m",
                                       unique_name + "/MyAdam/v"]
    assert optimizer.get_slot(tw1, "m").params is optimizer.get_slot(
        tw2, "m").params


def test_monitored_training_session_trains_and_keeps_slots(kv_creator,
                                                           unique_name):
  with tf.Graph().as_default():
    var = de.get_variable(unique_name, dim=_DIM, kv_creator=kv_creator,
                          initializer=0.5)
    ids = tf.compat.v1.placeholder(tf.int64, [None])
    y = tf.compat.v1.placeholder(tf.float32, [None, 1])
    rows = de.embedding_lookup(var, ids, name="lk")
    loss = tf.reduce_mean((tf.reduce_sum(rows, 1, keepdims=True) - y)**2)
    step = tf.compat.v1.train.get_or_create_global_step()
    optimizer = de.DynamicEmbeddingOptimizer(_TRAIN.AdagradOptimizer(0.3))
    train_op = optimizer.minimize(loss, global_step=step)
    (accumulator,) = var.get_slot_variables(optimizer)
    assert accumulator.name == unique_name + "/Adagrad/accumulator"
    sizes = tf.stack([var.size(), accumulator.size()])
    hooks = [tf.compat.v1.train.StopAtStepHook(last_step=3 * _STEPS)]
    losses = []
    with tf.compat.v1.train.MonitoredTrainingSession(hooks=hooks) as sess:
      while not sess.should_stop():
        for batch_ids, batch_y in _batches():
          step_loss, _, last_sizes = sess.run([loss, train_op, sizes],
                                              {ids: batch_ids, y: batch_y})
          losses.append(step_loss)
  # Every id has a row and a slot row (read while the session, which holds
  # in-process tables in graph mode, still ran).
  np.testing.assert_array_equal(last_sizes, [_VOCAB, _VOCAB])
  assert len(losses) == 3 * _STEPS
  assert np.mean(losses[-_STEPS:]) < 0.5 * np.mean(losses[:_STEPS])


def test_unnamed_lookups_in_a_graph_get_wrappers_of_their_own(unique_name):
  with tf.Graph().as_default():
    var = de.get_variable(unique_name, dim=_DIM, initializer=1.0)
    _, first = de.embedding_lookup(var, tf.constant([1], tf.int64),
                                   return_trainable=True)
    _, second = de.embedding_lookup(var, tf.constant([2], tf.int64),
                                    return_trainable=True)
    assert first is not second
    assert len(var.trainable_store) == 2
    assert all(name.startswith("anonymous_trainable_store_key")
               for name in var.trainable_store)


def test_unnamed_lookups_need_a_name_eagerly(unique_name):
  var = de.get_variable(unique_name, dim=_DIM)
  with pytest.raises(ValueError, match="Must specify a name"):
    de.embedding_lookup(var, tf.constant([1], tf.int64))


def test_tensorflow_keras_optimizer_v2_minimizes_eagerly(kv_creator,
                                                         unique_name):
  """Upstream's own tests train with tensorflow.python.keras's OptimizerV2."""
  var = de.get_variable(unique_name, dim=_DIM, kv_creator=kv_creator,
                        initializer=1.0)
  optimizer = de.DynamicEmbeddingOptimizer(optimizer_v2_adam.Adam(0.1))
  trainables = []

  def loss():
    rows, trainable = de.embedding_lookup(var, tf.constant([1, 2], tf.int64),
                                          name="lk", return_trainable=True)
    trainables[:] = [trainable]
    return tf.reduce_sum(rows * rows)

  for _ in range(3):
    optimizer.minimize(loss, lambda: trainables)
  slot = optimizer.get_slot(trainables[0], "m")
  assert slot.params.name == unique_name + "/lk/m"
  keys, _ = sorted_export(slot.params)
  np.testing.assert_array_equal(keys, [1, 2])
  assert np.all(var.lookup(tf.constant([1, 2], tf.int64)).numpy() < 1.0)


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

"""Several training lookups through one trainable wrapper in one step.

Upstream's models look one variable up several times per step under one
name (one lookup per feature, e.g. `de.embedding_lookup(var, ids_k,
name="emb")` for each k) and list the returned trainable once per lookup in
`var_list`. The wrapper then holds the distinct ids of all the lookups, and
the step updates each row once with the gradients of every lookup summed.

The central check: such training follows exactly the trajectory of the same
embedding held in a dense variable, gathered once per lookup and trained by
the same optimizer (the lookups of a step cover every id between them, so
every row is updated in both, and ids repeat across the lookups). In a TF1
graph (TF1 optimizers), eagerly and in `tf.function` (Keras 3 optimizers).
"""

import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import training_util as tu
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests.training_util import sorted_export

pytestmark = pytest.mark.usefixtures("fresh_session")

_VOCAB, _DIM, _STEPS, _LOOKUPS = 6, 3, 4, 3

_TF1_OPTIMIZERS = {
    "sgd": lambda: tf.compat.v1.train.GradientDescentOptimizer(0.1),
    "adam": lambda: tf.compat.v1.train.AdamOptimizer(0.05),
}
_KERAS_OPTIMIZERS = {
    "sgd": lambda: keras.optimizers.SGD(0.1),
    "adam": lambda: keras.optimizers.Adam(0.05),
}


def _steps():
  """Per step, `_LOOKUPS` id batches: together they hold every id, and ids
  repeat within and across them."""
  rng = np.random.default_rng(11)
  for _ in range(_STEPS):
    yield [rng.integers(0, _VOCAB, 4).astype(np.int64),
           rng.permutation(_VOCAB).astype(np.int64),
           rng.integers(0, _VOCAB, 5).astype(np.int64)]


def _start():
  rng = np.random.default_rng(2)
  return (rng.normal(size=(_VOCAB, _DIM)).astype(np.float32),
          rng.normal(size=(_DIM, 1)).astype(np.float32))


def _loss(rows_per_lookup, w):
  """A loss in which each lookup weighs differently (so repeated ids get
  different gradients from each)."""
  return tf.add_n([
      tf.reduce_mean((rows @ w - float(k + 1))**2) * (k + 1)
      for k, rows in enumerate(rows_per_lookup)
  ])


def _dense_graph_trajectory(make_optimizer):
  table0, w0 = _start()
  with tf.Graph().as_default():
    table = tf.compat.v1.get_variable("table", initializer=table0,
                                      use_resource=True)
    ids = [tf.compat.v1.placeholder(tf.int64, [None]) for _ in range(_LOOKUPS)]
    loss = _loss([tf.gather(table, i) for i in ids], tf.constant(w0))
    train_op = make_optimizer().minimize(loss)
    with tf.compat.v1.Session() as sess:
      sess.run(tf.compat.v1.global_variables_initializer())
      for step_ids in _steps():
        sess.run(train_op, dict(zip(ids, step_ids)))
      return sess.run(table)


@pytest.mark.parametrize("name", sorted(_TF1_OPTIMIZERS))
def test_tf1_graph_lookups_of_one_name_follow_the_dense_trajectory(
    kv_creator, unique_name, name):
  expected = _dense_graph_trajectory(_TF1_OPTIMIZERS[name])
  table0, w0 = _start()
  with tf.Graph().as_default():
    var = de.get_variable(unique_name, dim=_DIM, kv_creator=kv_creator)
    init_rows = var.upsert(tf.range(_VOCAB, dtype=tf.int64), table0)
    ids = [tf.compat.v1.placeholder(tf.int64, [None]) for _ in range(_LOOKUPS)]
    looked_up = [de.embedding_lookup(var, i, name="emb", return_trainable=True)
                 for i in ids]
    trainables = [trainable for _, trainable in looked_up]
    assert all(t is trainables[0] for t in trainables)  # One wrapper.
    optimizer = de.DynamicEmbeddingOptimizer(_TF1_OPTIMIZERS[name]())
    # Listed once per lookup, as upstream's models list them.
    train_op = optimizer.minimize(
        _loss([rows for rows, _ in looked_up], tf.constant(w0)),
        var_list=trainables)
    table = var.lookup(tf.range(_VOCAB, dtype=tf.int64))
    slot_sizes = [s.size() for s in var.get_slot_variables(optimizer)]
    with tf.compat.v1.Session() as sess:
      sess.run(tf.compat.v1.global_variables_initializer())
      sess.run(init_rows)
      for step_ids in _steps():
        sess.run(train_op, dict(zip(ids, step_ids)))
      np.testing.assert_allclose(sess.run(table), expected, rtol=1e-5,
                                 atol=1e-6)
      assert sess.run(slot_sizes) == [_VOCAB] * len(slot_sizes)
  assert len(slot_sizes) == (2 if name == "adam" else 0)


def _dense_eager_trajectory(make_optimizer):
  table0, w0 = _start()
  table = tf.Variable(table0)
  optimizer = make_optimizer()
  for step_ids in _steps():
    with tf.GradientTape() as tape:
      loss = _loss([tf.gather(table, i) for i in step_ids], tf.constant(w0))
    grad = tf.convert_to_tensor(tape.gradient(loss, table))
    optimizer.apply_gradients([(grad, table)])
  return table.numpy()


@pytest.mark.parametrize("traced", [False, True], ids=["eager", "function"])
@pytest.mark.parametrize("name", sorted(_KERAS_OPTIMIZERS))
def test_eager_lookups_of_one_name_follow_the_dense_trajectory(
    kv_creator, unique_name, name, traced):
  expected = _dense_eager_trajectory(_KERAS_OPTIMIZERS[name])
  table0, w0 = _start()
  var = de.get_variable(unique_name, dim=_DIM, kv_creator=kv_creator)
  var.upsert(tf.range(_VOCAB, dtype=tf.int64), table0)
  optimizer = de.DynamicEmbeddingOptimizer(_KERAS_OPTIMIZERS[name]())

  def step(*step_ids):
    with tf.GradientTape() as tape:
      looked_up = [de.embedding_lookup(var, i, name="emb",
                                       return_trainable=True)
                   for i in step_ids]
      loss = _loss([rows for rows, _ in looked_up], tf.constant(w0))
    trainables = [trainable for _, trainable in looked_up]
    grads = tape.gradient(loss, trainables)
    optimizer.apply_gradients(zip(grads, trainables))

  step = tf.function(step) if traced else step
  for step_ids in _steps():
    step(*[tf.constant(i) for i in step_ids])
  np.testing.assert_allclose(var.lookup(tf.range(_VOCAB, dtype=tf.int64)),
                             expected, rtol=1e-5, atol=1e-6)
  slots = var.get_slot_variables(optimizer)
  assert [int(s.size()) for s in slots] == [_VOCAB] * (
      2 if name == "adam" else 0)


def _one_step(var, optimizer, *ids_per_lookup):
  with tf.GradientTape() as tape:
    looked_up = [de.embedding_lookup(var, tu.keys(*ids), name="emb",
                                     return_trainable=True)
                 for ids in ids_per_lookup]
    loss = tf.add_n([tf.reduce_sum(rows * rows) for rows, _ in looked_up])
  trainables = [trainable for _, trainable in looked_up]
  optimizer.apply_gradients(zip(tape.gradient(loss, trainables), trainables))


def test_status_tables_count_the_ids_of_every_lookup_once_per_step(
    kv_creator, unique_name):
  var = de.get_variable(unique_name, dim=2, initializer=0.5,
                        kv_creator=kv_creator,
                        restrict_policy=de.FrequencyRestrictPolicy)
  optimizer = de.DynamicEmbeddingOptimizer(keras.optimizers.Adam(0.1))
  _one_step(var, optimizer, [1, 2], [2, 3, 3])
  _one_step(var, optimizer, [3], [4])
  counts = dict(zip(*[a.ravel().tolist()
                      for a in sorted_export(var.restrict_policy.status)]))
  assert counts == {1: 1, 2: 1, 3: 2, 4: 1}
  assert sorted_export(var)[0].tolist() == [1, 2, 3, 4]


def test_timestamp_status_and_restrict_cover_every_lookup(kv_creator,
                                                          unique_name):
  var = de.get_variable(unique_name, dim=2, initializer=0.5,
                        kv_creator=kv_creator,
                        restrict_policy=de.TimestampRestrictPolicy)
  optimizer = de.DynamicEmbeddingOptimizer(keras.optimizers.Adam(0.1))
  _one_step(var, optimizer, [1, 2, 3], [4, 5, 6, 1])
  assert sorted_export(var.restrict_policy.status)[0].tolist() == [
      1, 2, 3, 4, 5, 6]
  slots = var.get_slot_variables(optimizer)
  assert len(slots) == 2
  var.restrict(4, trigger=5)
  for table in [var, var.restrict_policy.status] + slots:
    assert int(table.size()) == 4, table.name


def test_a_lookup_outside_a_tape_does_not_join_the_next_step(kv_creator,
                                                             unique_name):
  var = de.get_variable(unique_name, dim=2, initializer=0.5,
                        kv_creator=kv_creator)
  optimizer = de.DynamicEmbeddingOptimizer(keras.optimizers.SGD(0.1))
  de.embedding_lookup(var, tu.keys(7, 8), name="emb")  # Nothing trains it.
  _one_step(var, optimizer, [1], [2, 1])
  assert sorted_export(var)[0].tolist() == [1, 2]
  # id 1 was looked up twice: its gradient is summed (2 * row per lookup).
  np.testing.assert_allclose(var.lookup(tu.keys(1, 2)),
                             [[0.5 - 0.1 * 2 * 2 * 0.5] * 2,
                              [0.5 - 0.1 * 2 * 0.5] * 2])


def test_a_forward_run_alone_leaves_nothing_for_the_next_graph_run(
    unique_name):
  with tf.Graph().as_default():
    var = de.get_variable(unique_name, dim=2, initializer=0.5)
    ids = [tf.compat.v1.placeholder(tf.int64, [None]) for _ in range(2)]
    rows = [de.embedding_lookup(var, i, name="emb") for i in ids]
    loss = tf.add_n([tf.reduce_sum(r * r) for r in rows])
    optimizer = de.DynamicEmbeddingOptimizer(
        tf.compat.v1.train.GradientDescentOptimizer(0.1))
    train_op = optimizer.minimize(loss)
    keys, _ = var.export()
    with tf.compat.v1.Session() as sess:
      sess.run(tf.compat.v1.global_variables_initializer())
      sess.run(loss, {ids[0]: [7], ids[1]: [8]})  # Forward only.
      sess.run(train_op, {ids[0]: [1], ids[1]: [2, 1]})
      assert sorted(sess.run(keys).tolist()) == [1, 2]


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

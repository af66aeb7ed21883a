"""A small seeded model, its data and table snapshots for the training tests.

Used by the training-side tests, conftest.py and the trainer processes of
redis_concurrent_training_test.py. Everything is seeded, so two
`Trainer`s built alike and fed the same batches compute the same numbers
whatever backend holds their rows.
"""

import contextlib
import json
import os
import subprocess
import sys

import keras
import numpy as np
import tensorflow as tf

from tensorflow_recommenders_addons import dynamic_embedding as de

DIM = 4
WIDTH = 2  # Ids per example.
BATCH = 16
VOCAB = 40  # Ids `batches` draws by default.

OPTIMIZERS = {
    "sgd": lambda: keras.optimizers.SGD(0.2),
    "adagrad": lambda: keras.optimizers.Adagrad(0.3),
    "adam": lambda: keras.optimizers.Adam(0.03),
}
SLOT_COUNT = {"sgd": 0, "adagrad": 1, "adam": 2}


def batches(steps, seed, first_id=0, vocab=VOCAB):
  """`steps` batches `(ids [BATCH, WIDTH] int64, y [BATCH, 1])`.

  Ids are drawn from `[first_id, first_id + vocab)`; y is the sum of a fixed
  function of the ids, which the model can learn.
  """
  rng = np.random.default_rng(seed)
  out = []
  for _ in range(steps):
    ids = rng.integers(first_id, first_id + vocab, size=(BATCH, WIDTH))
    y = np.sin(0.7 * ids).sum(axis=1, keepdims=True).astype(np.float32)
    out.append((tf.constant(ids, tf.int64), tf.constant(y)))
  return out


def start_rows():
  """`(keys, rows)`: seeded rows for every id `batches` draws by default, so
  runs that write them first start from equal tables."""
  rows = np.random.default_rng(5).normal(size=(VOCAB, DIM)).astype(np.float32)
  return tf.range(VOCAB, dtype=tf.int64), tf.constant(rows)


def sorted_export(table):
  """`(keys, values)` of a table or `de.Variable` as numpy arrays, by key."""
  keys, values = table.export()
  order = np.argsort(keys.numpy(), kind="stable")
  return keys.numpy()[order], values.numpy()[order]


def keys(*ids):
  """An int64 key tensor."""
  return tf.constant(ids, tf.int64)


def assert_same_contents(table, contents):
  """`table` (a table or `de.Variable`) holds exactly `contents`, a
  `sorted_export` taken earlier."""
  actual_keys, actual_values = sorted_export(table)
  np.testing.assert_array_equal(actual_keys, contents[0])
  np.testing.assert_array_equal(actual_values, contents[1])


def run_worker_processes(module, workers, tmp_path, args, timeout=300):
  """Runs `python -m module` once per worker, all at once, to completion.

  Each gets `args` plus `--worker I --workers N --barrier DIR --out FILE`
  (the barrier folder `tmp_path/barrier`); returns the JSON each wrote to
  its FILE. A worker that fails fails the calling test with its output.
  """
  barrier = tmp_path / "barrier"
  barrier.mkdir()
  env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p),
             TF_CPP_MIN_LOG_LEVEL="2")
  procs, outs = [], []
  for worker in range(workers):
    outs.append(tmp_path / ("worker%d.json" % worker))
    procs.append(subprocess.Popen(
        [sys.executable, "-m", module] + list(args) +
        ["--worker", str(worker), "--workers", str(workers), "--barrier",
         str(barrier), "--out", str(outs[-1])],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
  for worker, proc in enumerate(procs):
    output, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, "worker %d failed:\n%s" % (
        worker, output.decode(errors="replace")[-4000:])
  reports = []
  for out in outs:
    with open(out) as f:
      reports.append(json.load(f))
  return reports


def creator_for(config_path):
  """A Redis creator reading the config file at `config_path`."""
  return de.RedisTableCreator(
      de.RedisTableConfig(redis_config_abs_dir=config_path))


class Trainer:
  """One dynamic Embedding layer and a Dense layer, trained in a tf.function.

  Args:
    name: layer name; it names the Redis table, so equal names on one config
      share rows.
    kv_creator: the creator of the embedding and slot tables.
    optimizer_name: a key of `OPTIMIZERS`.
    strategy: a `tf.distribute` strategy to build and train under (each
      step is `strategy.run`, the loss a mean over the global batch), or None.
    lookup_per_column: the layer looks each id column up separately (several
      lookups through one wrapper per step, as upstream's models do one per
      feature); the model computes the same function either way.
  """

  def __init__(self, name, kv_creator, optimizer_name="adam", strategy=None,
               lookup_per_column=False):
    self.strategy = strategy
    with strategy.scope() if strategy else contextlib.nullcontext():
      ids = keras.Input(shape=(WIDTH,), dtype="int64")
      self.layer = de.keras.layers.Embedding(
          DIM, name=name, kv_creator=kv_creator,
          initializer=keras.initializers.RandomNormal(stddev=0.1, seed=7))
      if lookup_per_column:
        rows = keras.layers.Concatenate(axis=1)(
            [self.layer(ids[:, i:i + 1]) for i in range(WIDTH)])
      else:
        rows = self.layer(ids)
      flat = keras.layers.Flatten()(rows)
      out = keras.layers.Dense(
          1, name=name + "_dense",
          kernel_initializer=keras.initializers.GlorotUniform(seed=3))(flat)
      self.model = keras.Model(ids, out)
      self.optimizer = de.DynamicEmbeddingOptimizer(
          OPTIMIZERS[optimizer_name]())
      if strategy:
        # Slots are made here, under the scope, not in the first step.
        self.optimizer.build(self.model.trainable_variables)
    self._step = tf.function(self._train_step if strategy is None else
                             self._distributed_step)

  def _train_step(self, ids, y):
    with tf.GradientTape() as tape:
      loss = tf.reduce_mean((self.model(ids, training=True) - y)**2)
    variables = self.model.trainable_variables
    self.optimizer.apply_gradients(
        zip(tape.gradient(loss, variables), variables))
    return loss

  def _replica_step(self, ids, y):
    with tf.GradientTape() as tape:
      errors = tf.reshape((self.model(ids, training=True) - y)**2, [-1])
      loss = tf.nn.compute_average_loss(errors, global_batch_size=BATCH)
    variables = self.model.trainable_variables
    self.optimizer.apply_gradients(
        zip(tape.gradient(loss, variables), variables))
    return loss

  def _distributed_step(self, ids, y):
    losses = self.strategy.run(self._replica_step, args=(ids, y))
    return self.strategy.reduce(tf.distribute.ReduceOp.SUM, losses, axis=None)

  def train(self, data):
    """Runs one step per batch; returns the losses.

    Under a strategy, `data` holds what each step's `strategy.run` gets (a
    distributed batch, or this worker's part of the global batch).
    """
    return [float(self._step(ids, y)) for ids, y in data]

  def compile(self):
    """Compiles the model for `fit` (mean squared error), under the scope."""
    with self.strategy.scope() if self.strategy else contextlib.nullcontext():
      self.model.compile(optimizer=self.optimizer, loss="mse")

  def tables(self):
    """The embedding variable, then its optimizer slot variables."""
    params = self.layer.params
    return [params] + params.get_slot_variables(self.optimizer)

  def snapshot(self):
    """Sorted rows of every table, then the dense weights."""
    dense = [w.numpy() for w in self.model.get_layer(
        self.layer.name + "_dense").weights]
    return [sorted_export(t) for t in self.tables()] + [dense]

  def checkpoint(self):
    return tf.train.Checkpoint(model=self.model, optimizer=self.optimizer)

  def restore(self, path):
    """Restores `path`, building the optimizer so its slots restore too."""
    status = self.checkpoint().restore(path)
    self.optimizer.build(self.model.trainable_variables)
    status.assert_existing_objects_matched()


def assert_snapshots_equal(actual, expected):
  """Exact equality of two `Trainer.snapshot()`s (keys, rows, weights)."""
  assert len(actual) == len(expected)
  for (keys, rows), (want_keys, want_rows) in zip(actual[:-1], expected[:-1]):
    np.testing.assert_array_equal(keys, want_keys)
    np.testing.assert_array_equal(rows, want_rows)
  for weight, want in zip(actual[-1], expected[-1]):
    np.testing.assert_array_equal(weight, want)

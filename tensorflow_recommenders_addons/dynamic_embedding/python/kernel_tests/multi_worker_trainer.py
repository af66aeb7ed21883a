"""One worker process of the multi-worker tests (not a test).

    TF_CONFIG=... python -m ...kernel_tests.multi_worker_trainer \\
        --config C --name N --optimizer sgd --steps S --out FILE \\
        [--checkpoint_dir D --checkpoint_every K]

Builds a `MultiWorkerMirroredStrategy` from `TF_CONFIG` (tools/testing/
tf_cluster.py writes it) and trains a training_util.Trainer model N whose
embeddings live in the Redis of config C, in a custom loop (`strategy.run`
inside a `tf.function`), on `tu.batches(S, seed=DATA_SEED)` as global
batches: this worker gets its part of each (worker i of n: the i-th n-th of
every batch). Keras 3's `model.fit` cannot run under this strategy
(docs/distributed_training.md shows why).

With --checkpoint_dir it saves a checkpoint every K steps (the chief into D,
the others into a folder of their own, as TensorFlow asks) and, when D holds
one, resumes from it; the step reached is written to `<out>.progress` after
every step, so a test knows when to kill a worker.

Writes JSON to FILE: the losses, the dense weights, the table names, the ids
this worker trained, the step it resumed from and examples/s.
"""

import argparse
import json
import os
import sys
import time

import tensorflow as tf

from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import training_util as tu

DATA_SEED = 11


def _parse_args(argv):
  parser = argparse.ArgumentParser()
  for flag in ("config", "name", "out"):
    parser.add_argument("--" + flag, required=True)
  parser.add_argument("--optimizer", default="sgd", choices=tu.OPTIMIZERS)
  parser.add_argument("--steps", type=int, required=True)
  parser.add_argument("--checkpoint_dir")
  parser.add_argument("--checkpoint_every", type=int, default=2)
  return parser.parse_args(argv)


def worker_part(batch, worker, workers):
  """This worker's part of a global batch `(ids, y)`."""
  size = tu.BATCH // workers
  return tuple(t[worker * size:(worker + 1) * size] for t in batch)


def _dense_weights(trainer):
  return [w.numpy().tolist() for w in trainer.model.get_layer(
      trainer.layer.name + "_dense").weights]


@tf.function
def _barrier():
  return tf.distribute.get_replica_context().all_reduce("sum", 0.0)


class _Checkpoints:
  """Saves every `every` steps; the chief's folder is the one restored."""

  def __init__(self, trainer, folder, every, strategy):
    self.step = tf.Variable(0, dtype=tf.int64, trainable=False)
    checkpoint = tf.train.Checkpoint(model=trainer.model,
                                     optimizer=trainer.optimizer,
                                     step=self.step)
    chief = strategy.cluster_resolver.task_id == 0
    own = folder if chief else os.path.join(
        folder, "worker_%d" % strategy.cluster_resolver.task_id)
    self._checkpoint, self._every = checkpoint, every
    self._manager = tf.train.CheckpointManager(checkpoint, own, max_to_keep=2)
    self._latest = tf.train.latest_checkpoint(folder)

  def restore(self, strategy):
    """Restores the chief's latest checkpoint, if any; returns the step.

    Every worker restores; with `table_store_mode` 0 each writes the saved
    rows into the shared tables, so all wait for the others before training
    (a worker's first lookups would otherwise race another's restore).
    """
    if self._latest:
      self._checkpoint.restore(self._latest).assert_existing_objects_matched()
      strategy.run(_barrier)
    return int(self.step.numpy())

  def after_step(self, step):
    self.step.assign(step)
    if step % self._every == 0:
      self._manager.save(checkpoint_number=step)


def _train(args, strategy, worker, workers, progress):
  """Trains; returns the trainer and the report."""
  trainer = tu.Trainer(args.name, tu.creator_for(args.config), args.optimizer,
                       strategy=strategy)
  data = tu.batches(args.steps, seed=DATA_SEED)
  checkpoints = None
  first = 0
  if args.checkpoint_dir:
    checkpoints = _Checkpoints(trainer, args.checkpoint_dir,
                               args.checkpoint_every, strategy)
    first = checkpoints.restore(strategy)
  losses, seen = [], set()
  start = time.time()
  for step in range(first, args.steps):
    ids, y = worker_part(data[step], worker, workers)
    losses.extend(trainer.train([(ids, y)]))
    seen.update(ids.numpy().ravel().tolist())
    if checkpoints:
      checkpoints.after_step(step + 1)
    with open(progress, "w") as out:
      out.write(str(step + 1))
  seconds = time.time() - start
  return trainer, {"losses": losses, "resumed_from": first,
                   "ids": sorted(seen),
                   "examples_per_second":
                       (args.steps - first) * tu.BATCH / max(seconds, 1e-9)}


def main(argv):
  args = _parse_args(argv)
  strategy = tf.distribute.MultiWorkerMirroredStrategy()
  worker = strategy.cluster_resolver.task_id
  workers = strategy.num_replicas_in_sync
  trainer, report = _train(args, strategy, worker, workers,
                           args.out + ".progress")
  report["dense"] = _dense_weights(trainer)
  report["tables"] = [t.name for t in trainer.tables()]
  with open(args.out, "w") as out:
    json.dump(report, out)


if __name__ == "__main__":
  main(sys.argv[1:])

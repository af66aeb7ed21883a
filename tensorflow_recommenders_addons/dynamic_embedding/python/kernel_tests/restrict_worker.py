"""One worker process of restrict_workers_test.py (not a test).

    python -m ...kernel_tests.restrict_worker --config C --name N \
        --worker I --workers W --barrier DIR --steps S --reserve R --out FILE

Every worker trains the same variable `N` (Redis config C, a
FrequencyRestrictPolicy, Adam) on batches of its own; the workers meet at a
barrier, so their training overlaps. Then worker 0 restricts the variable to
R keys while the other workers wait; afterwards every worker trains S more
steps. Writes JSON to FILE: the unique ids of each step of both phases, the
phases' start/end times, and the slot variables' names.
"""

import argparse
import json
import time

import keras
import numpy as np
import tensorflow as tf

from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import concurrent_trainer
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import training_util as tu

VOCAB = 300
BATCH = 32
DIM = 4


def batches(worker, phase, steps):
  rng = np.random.default_rng(1000 * phase + worker)
  return [np.unique(rng.integers(0, VOCAB, BATCH)) for _ in range(steps)]


def main():
  parser = argparse.ArgumentParser()
  for flag in ("config", "name", "barrier", "out"):
    parser.add_argument("--" + flag, required=True)
  for flag in ("worker", "workers", "steps", "reserve"):
    parser.add_argument("--" + flag, type=int, required=True)
  args = parser.parse_args()
  var = de.get_variable(args.name, dim=DIM, initializer=0.1,
                        kv_creator=tu.creator_for(args.config),
                        restrict_policy=de.FrequencyRestrictPolicy)
  optimizer = de.DynamicEmbeddingOptimizer(keras.optimizers.Adam(0.05))

  @tf.function
  def step(ids):
    with tf.GradientTape() as tape:
      rows, wrapper = de.embedding_lookup(var, ids, name="lk",
                                          return_trainable=True)
      loss = tf.reduce_sum(rows * rows)
    optimizer.apply_gradients([(tape.gradient(loss, wrapper), wrapper)])

  # Traced (slots made) before the workers meet; nothing trained yet.
  step = step.get_concrete_function(tf.TensorSpec([None], tf.int64))
  report = {"phases": [], "ids": []}
  for phase in range(2):
    data = batches(args.worker, phase, args.steps)
    concurrent_trainer._wait_for_all(args.barrier, "train%d" % phase,  # pylint: disable=protected-access
                                     args.worker, args.workers)
    start = time.time()
    for ids in data:
      step(tf.constant(ids, tf.int64))
    report["phases"].append([start, time.time()])
    report["ids"].append([ids.tolist() for ids in data])
    concurrent_trainer._wait_for_all(args.barrier, "trained%d" % phase,  # pylint: disable=protected-access
                                     args.worker, args.workers)
    if phase == 0 and args.worker == 0:
      var.restrict(args.reserve)
  report["slots"] = [s.name for s in var.restrict_policy.params_in_slots]
  with open(args.out, "w") as out:
    json.dump(report, out)


if __name__ == "__main__":
  main()

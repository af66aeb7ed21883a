"""One trainer process of redis_concurrent_training_test.py (not a test).

    python -m ...kernel_tests.concurrent_trainer --config C --name N \
        --worker I --workers W --barrier DIR --steps S --out FILE

Trains, against the Redis of config file C, two things that every worker
shares (same names, same tables):

1. Delta training (`bp_v2`): variables `<N>_sgd` and `<N>_adagrad`, ids
   0..KEYS-1 every step, loss `(I + 1) * sum(rows)`. The gradient of each row
   is `I + 1` whatever the rows hold, so an SGD step adds exactly
   `-SGD_RATE * (I + 1)` to each row and an Adagrad step adds `(I + 1)**2` to
   each accumulator: with every worker's deltas applied, the stored values
   are known sums.
2. Model training: training_util.Trainer `<N>_model` (Adam, rows upserted),
   on this worker's own batches.

A first step of each (zero loss for part 1, so it stores only the initial
rows) traces the functions before the workers meet; each measured phase
starts at a barrier (a file per worker), so the workers run it at the same
time. Writes JSON to FILE: the phases'
start/end times, the model losses, and the variables' names.
"""

import argparse
import json
import os
import time

import keras
import tensorflow as tf

from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import training_util as tu

KEYS = 16
SGD_RATE = 0.25
ACCUMULATOR_START = 0.5


def _delta_step(name, creator):
  """Part 1's step function: `step(scale)` runs one update of both variables."""
  variables = [
      de.get_variable("%s_%s" % (name, kind), dim=tu.DIM, initializer=0.0,
                      kv_creator=creator, bp_v2=True)
      for kind in ("sgd", "adagrad")
  ]
  optimizers = [
      de.DynamicEmbeddingOptimizer(keras.optimizers.SGD(SGD_RATE)),
      de.DynamicEmbeddingOptimizer(
          keras.optimizers.Adagrad(
              0.1, initial_accumulator_value=ACCUMULATOR_START),
          bp_v2=True)
  ]
  ids = tf.range(KEYS, dtype=tf.int64)

  @tf.function
  def step(scale):
    with tf.GradientTape() as tape:
      looked_up = [de.embedding_lookup(v, ids, name="lk", return_trainable=True)
                   for v in variables]
      loss = scale * tf.add_n([tf.reduce_sum(rows) for rows, _ in looked_up])
    wrappers = [wrapper for _, wrapper in looked_up]
    for optimizer, grad, wrapper in zip(optimizers,
                                        tape.gradient(loss, wrappers),
                                        wrappers):
      optimizer.apply_gradients([(grad, wrapper)])

  return step, variables, optimizers[1]


def _wait_for_all(barrier, phase, worker, workers, timeout_s=120):
  """Returns once every worker has reached `phase` (one file per worker)."""
  open(os.path.join(barrier, "%s_%d" % (phase, worker)), "w").close()
  deadline = time.time() + timeout_s
  while sum(f.startswith(phase + "_") for f in os.listdir(barrier)) < workers:
    if time.time() > deadline:
      raise TimeoutError("the other trainers never reached the barrier")
    time.sleep(0.005)


def main():
  parser = argparse.ArgumentParser()
  for flag in ("config", "name", "barrier", "out"):
    parser.add_argument("--" + flag, required=True)
  for flag in ("worker", "workers", "steps"):
    parser.add_argument("--" + flag, type=int, required=True)
  args = parser.parse_args()
  tf.config.threading.set_intra_op_parallelism_threads(1)
  tf.config.threading.set_inter_op_parallelism_threads(1)
  creator = tu.creator_for(args.config)
  delta_step, (sgd_var, adagrad_var), adagrad = _delta_step(args.name, creator)
  trainer = tu.Trainer(args.name + "_model", creator)
  data = tu.batches(args.steps + 1, seed=100 + args.worker)
  delta_step(tf.constant(0.0))
  trainer.train(data[:1])
  _wait_for_all(args.barrier, "delta", args.worker, args.workers)

  delta_start = time.time()
  scale = tf.constant(float(args.worker + 1))
  for _ in range(args.steps):
    delta_step(scale)
  delta_end = time.time()
  _wait_for_all(args.barrier, "model", args.worker, args.workers)
  model_start = time.time()
  losses = trainer.train(data[1:])
  model_end = time.time()

  (accumulator,) = adagrad_var.get_slot_variables(adagrad)
  with open(args.out, "w") as out:
    json.dump({
        "delta_phase": [delta_start, delta_end],
        "model_phase": [model_start, model_end],
        "losses": losses,
        "sgd_variable": sgd_var.name,
        "accumulator_variable": accumulator.name,
        "model_variables": [t.name for t in trainer.tables()],
    }, out)


if __name__ == "__main__":
  main()

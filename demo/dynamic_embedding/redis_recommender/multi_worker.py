"""One worker of the demo's --workers run (a process of a local cluster).

    TF_CONFIG=... python multi_worker.py --config CONFIG --examples N \
        --batch_size B --out OUT.json [--no_eval]

Trains the demo's model (model.py) for one epoch under
`MultiWorkerMirroredStrategy` with the embeddings in the Redis of CONFIG: a
custom loop (`strategy.run` inside a `tf.function`; Keras 3's `model.fit`
cannot run under this strategy), each worker on its share of every global
batch of B examples. The chief (worker 0) then computes the held-out AUC
(unless --no_eval) and writes OUT.json: examples/s of the epoch (the first
step, which traces the function, is not timed; `timed_steps` and
`timed_seconds` say what was) and the AUC. tools/bench/distributed_bench.py
runs it too.
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

# pylint: disable=g-import-not-at-top,wrong-import-position
import keras
import tensorflow as tf

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
  sys.path.insert(0, _HERE)

import data
import model as demo_model
# pylint: enable=g-import-not-at-top,wrong-import-position


def _train_step(strategy, model, global_batch):
  """A `tf.function` running one synchronous step on every worker."""
  loss_fn = keras.losses.BinaryCrossentropy(reduction=None)

  def replica_step(features, clicks):
    with tf.GradientTape() as tape:
      predictions = model(features, training=True)
      loss = tf.nn.compute_average_loss(
          loss_fn(clicks[:, None], predictions),
          global_batch_size=global_batch)
    variables = model.trainable_variables
    model.optimizer.apply_gradients(
        zip(tape.gradient(loss, variables), variables))
    return loss

  @tf.function
  def step(features, clicks):
    losses = strategy.run(replica_step, args=(features, clicks))
    return strategy.reduce(tf.distribute.ReduceOp.SUM, losses, axis=None)

  return step


def _held_out_auc(model, features, clicks):
  auc = keras.metrics.AUC()
  for start in range(0, len(clicks), 8192):
    part = {k: v[start:start + 8192] for k, v in features.items()}
    auc.update_state(clicks[start:start + 8192],
                     model(part, training=False)[:, 0])
  return float(auc.result())


def main(argv):
  parser = argparse.ArgumentParser()
  parser.add_argument("--config", required=True)
  parser.add_argument("--examples", type=int, required=True)
  parser.add_argument("--batch_size", type=int, required=True)
  parser.add_argument("--out", required=True)
  parser.add_argument("--no_eval", action="store_true")
  args = parser.parse_args(argv)
  summary = train(args.config, args.examples, args.batch_size,
                  evaluate=not args.no_eval)
  if summary:
    with open(args.out, "w") as f:
      json.dump(summary, f)


def train(config, examples, batch_size, evaluate=True):
  """Trains one epoch; returns the chief's summary (None on other workers)."""
  from tensorflow_recommenders_addons import dynamic_embedding as de  # pylint: disable=g-import-not-at-top
  strategy = tf.distribute.MultiWorkerMirroredStrategy()
  worker = strategy.cluster_resolver.task_id
  workers = strategy.num_replicas_in_sync
  creator = de.RedisTableCreator(
      de.RedisTableConfig(redis_config_abs_dir=config))
  with strategy.scope():
    model = demo_model.build_model(creator)
    model.optimizer.build(model.trainable_variables)
  step = _train_step(strategy, model, batch_size)
  n_eval = max(examples // 10, 5_000)
  features, clicks = data.click_log(examples + n_eval)
  share = batch_size // workers
  start, timed_steps = None, 0
  for first in range(0, examples - batch_size + 1, batch_size):
    mine = slice(first + worker * share, first + (worker + 1) * share)
    step({k: v[mine] for k, v in features.items()}, clicks[mine])
    if start is None:
      start = time.time()  # After the first (tracing) step.
    else:
      timed_steps += 1
  seconds = time.time() - start
  if worker != 0:
    return None
  summary = {"workers": workers, "timed_steps": timed_steps,
             "timed_seconds": seconds,
             "examples_per_second": round(timed_steps * batch_size / seconds)}
  if evaluate:
    eval_x = {k: v[examples:] for k, v in features.items()}
    summary["held_out_auc"] = round(
        _held_out_auc(model, eval_x, clicks[examples:]), 4)
  return summary


if __name__ == "__main__":
  main(sys.argv[1:])

"""The main job: train a recommender with its embeddings in Redis, then serve it.

1. Generates a deterministic, skewed synthetic click log (data.py).
2. Trains user/item embeddings (in Redis, with their Adam slots) and a small
   MLP with `model.fit`, showing Keras' progress bar.
3. Evaluates AUC on held-out clicks and draws the training curve (PNG): the
   loss of every batch with a smoothed line, and AUC per epoch.
4. Exports a SavedModel and serves it from a second process (serve.py),
   which must predict exactly what this process predicts.
5. Prints a summary: keys in Redis, Redis memory, examples/s.
6. With --workers N: trains the same model for an epoch under
   MultiWorkerMirroredStrategy, once with 1 worker process and once with N
   (multi_worker.py, a local cluster on loopback ports), each on its own
   model tag, and prints their examples/s next to each other.

With no --config it starts (and afterwards stops) a private redis-server on
a free loopback port; with --config it uses your Redis (standalone, Sentinel
or Cluster; see docs for the JSON keys) and tables under model tag "demo".
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

# Before TensorFlow loads (here and in the serving process, which inherits
# the environment): no C++ INFO lines at start-up (warnings and errors still
# print), and TensorFlow's own CPU kernels instead of oneDNN's, whose notice
# ("oneDNN custom operations are on ...") no log level hides. Either can be
# overridden by setting the variable.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

# pylint: disable=g-import-not-at-top,wrong-import-position
import keras
import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
  sys.path.insert(0, _HERE)

import data
import model as demo_model
# pylint: enable=g-import-not-at-top,wrong-import-position


def parse_args(argv):
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--config", help="your Redis table config JSON")
  parser.add_argument("--examples", type=int, default=200_000)
  parser.add_argument("--epochs", type=int, default=3)
  parser.add_argument("--batch_size", type=int, default=1024)
  parser.add_argument("--short", action="store_true",
                      help="a quick run (CI): 60k examples, 2 epochs")
  parser.add_argument("--value_encoding", default="raw",
                      choices=("raw", "float16", "bfloat16", "int8"),
                      help="how Redis stores the embedding rows "
                      "(redis_value_encoding; raw is float32)")
  parser.add_argument("--output_dir", help="where the PNG, SavedModel and "
                      "summary go (default: artifacts/redis_recommender)")
  parser.add_argument("--workers", type=int, default=1,
                      help="N >= 2: also train under MultiWorkerMirroredStrategy "
                      "with 1 and with N worker processes; print both "
                      "examples/s")
  args = parser.parse_args(argv)
  if args.short:
    args.examples, args.epochs = 60_000, 2
  if args.output_dir is None:
    root = os.environ.get("BUILD_WORKSPACE_DIRECTORY", os.getcwd())
    args.output_dir = os.path.join(root, "artifacts", "redis_recommender")
  return args


def write_config(path, base, **overrides):
  config = dict(base)
  config.update(overrides)
  with open(path, "w") as out:
    json.dump(config, out, indent=1)
  return path


class BatchLosses(keras.callbacks.Callback):
  """Records the loss of each training batch.

  After batch b of an epoch Keras reports the mean loss of the epoch so far
  (weighted by batch size), which drops back at every epoch start when
  plotted. Batch b's own loss follows from two consecutive means:
  (mean_b * seen_b - mean_b-1 * seen_b-1) / size_b.
  """

  def __init__(self, examples, batch_size):
    super().__init__()
    self._examples, self._batch_size = examples, batch_size
    self._seen, self._total = 0, 0.0
    self.losses = []

  def on_epoch_begin(self, epoch, logs=None):
    self._seen, self._total = 0, 0.0

  def on_train_batch_end(self, batch, logs=None):
    size = min(self._batch_size, self._examples - self._seen)
    seen = self._seen + size
    total = float(logs["loss"]) * seen
    self.losses.append((total - self._total) / size)
    self._seen, self._total = seen, total


def _smoothed(values, weight=0.9):
  """Exponential moving average, bias-corrected (as TensorBoard smooths)."""
  smoothed, average = [], 0.0
  for step, value in enumerate(values, 1):
    average = weight * average + (1 - weight) * value
    smoothed.append(average / (1 - weight**step))
  return smoothed


def plot_curve(path, batch_losses, batches_per_epoch, history):
  """Per-batch training loss (and its smoothed line); AUC per epoch."""
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
  batches = range(1, len(batch_losses) + 1)
  left.plot(batches, batch_losses, linewidth=0.7, alpha=0.5,
            label="per batch")
  left.plot(batches, _smoothed(batch_losses), linewidth=1.8,
            label="smoothed")
  for boundary in range(batches_per_epoch, len(batch_losses),
                        batches_per_epoch):
    left.axvline(boundary + 0.5, color="grey", linestyle=":", linewidth=1)
  left.set(title="training loss (dotted: epoch ends)", xlabel="batch",
           ylabel="binary cross-entropy")
  left.legend()
  epochs = range(1, len(history["val_auc"]) + 1)
  right.plot(epochs, history["auc"], marker="o",
             label="training batches (during the epoch)")
  right.plot(epochs, history["val_auc"], marker="o",
             label="held-out (after the epoch)")
  right.axhline(0.5, color="grey", linestyle="--", label="chance")
  right.set(title="AUC per epoch", xlabel="epoch", ylabel="AUC",
            ylim=(0.4, 1), xticks=list(epochs))
  right.legend(loc="upper left")
  fig.tight_layout()
  fig.savefig(path, dpi=100)
  plt.close(fig)


def serve_in_other_process(saved_model, features, config_path, workdir):
  features_path = os.path.join(workdir, "serve_features.npz")
  predictions_path = os.path.join(workdir, "serve_predictions.npz")
  np.savez(features_path, **features)
  env = dict(os.environ, TFRA_REDIS_CONFIG_PATH=config_path,
             PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
  subprocess.run([sys.executable, os.path.join(_HERE, "serve.py"), saved_model,
                  features_path, predictions_path], check=True, env=env)
  return np.load(predictions_path)["predictions"]


def print_tables_view(config_path):
  """What an operator sees of the demo's tables: `tfra-redis tables`."""
  from tensorflow_recommenders_addons.dynamic_embedding.redis_admin import cli  # pylint: disable=g-import-not-at-top
  print("\n== tfra-redis --config %s tables --tag demo ==" %
        os.path.basename(config_path))
  sys.stdout.flush()
  cli.main(["--config", config_path, "tables", "--tag", "demo"])
def train_with_workers(args, base, workdir, workers):
  """One epoch under MultiWorkerMirroredStrategy with `workers` processes
  (multi_worker.py) on tables of their own; returns worker 0's summary."""
  from tensorflow_recommenders_addons import dynamic_embedding as de  # pylint: disable=g-import-not-at-top
  from tools.testing import tf_cluster  # pylint: disable=g-import-not-at-top
  tag = "demo_%dw" % workers
  config = write_config(os.path.join(workdir, tag + ".json"), base,
                        model_tag_runtime=tag, model_tag_import=tag,
                        table_store_mode=2, storage_slice=2)
  keras.backend.clear_session()  # Layers of the same name share tables.
  demo_model.clear_tables(demo_model.build_model(
      de.RedisTableCreator(de.RedisTableConfig(redis_config_abs_dir=config))))
  out = os.path.join(workdir, tag + "_summary.json")
  argv = [sys.executable, os.path.join(_HERE, "multi_worker.py"),
          "--config", config, "--examples", str(args.examples),
          "--batch_size", str(args.batch_size), "--out", out]
  env = {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
  print("Training under MultiWorkerMirroredStrategy with %d worker%s ..." %
        (workers, "s" if workers > 1 else ""))
  with tf_cluster.Cluster({"worker": workers}, workdir, env=env) as cluster:
    for index in range(workers):
      cluster.start("worker", index, argv)
    cluster.wait_all("worker", timeout=3600)
  with open(out) as f:
    summary = json.load(f)
  print("  %d examples/s, held-out AUC %.4f" %
        (summary["examples_per_second"], summary["held_out_auc"]))
  return summary


def run(args, connection, redis_memory):
  """Trains, evaluates, exports and serves; returns the summary dict."""
  # The configs and the serving process' inputs live only as long as the run.
  with tempfile.TemporaryDirectory(prefix="redis_recommender_") as workdir:
    return _run_in(workdir, args, connection, redis_memory)


def _run_in(workdir, args, connection, redis_memory):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tensorflow_recommenders_addons import dynamic_embedding as de  # pylint: disable=g-import-not-at-top
  os.makedirs(args.output_dir, exist_ok=True)
  base = dict(connection, model_tag_runtime="demo", model_tag_import="demo",
              redis_value_encoding=args.value_encoding)
  # Mode 2: the embeddings stay in Redis; checkpoints and the SavedModel
  # carry none of them, and loading the SavedModel writes nothing.
  train_config = write_config(os.path.join(workdir, "train.json"), base,
                              table_store_mode=2, storage_slice=2)
  serve_config = write_config(os.path.join(workdir, "serve.json"), base,
                              table_store_mode=2, storage_slice=2)

  n_eval = max(args.examples // 10, 5_000)
  features, clicks = data.click_log(args.examples + n_eval)
  train_x = {k: v[:args.examples] for k, v in features.items()}
  eval_x = {k: v[args.examples:] for k, v in features.items()}
  train_y, eval_y = clicks[:args.examples], clicks[args.examples:]

  creator = de.RedisTableCreator(
      de.RedisTableConfig(redis_config_abs_dir=train_config))
  model = demo_model.build_model(creator)
  demo_model.clear_tables(model)
  batch_losses = BatchLosses(args.examples, args.batch_size)
  start = time.time()
  fit = model.fit(train_x, train_y, batch_size=args.batch_size,
                  epochs=args.epochs, validation_data=(eval_x, eval_y),
                  callbacks=[batch_losses], verbose=1)
  train_seconds = time.time() - start
  _, auc = model.evaluate(eval_x, eval_y, batch_size=8192, verbose=0)
  curve = os.path.join(args.output_dir, "training_curve.png")
  plot_curve(curve, batch_losses.losses,
             math.ceil(args.examples / args.batch_size), fit.history)

  saved_model = os.path.join(args.output_dir, "saved_model")
  # Traced in inference mode, the served function reads the tables directly
  # and gives unseen ids the fixed default row (as upstream TFRA demos do).
  de.enable_inference_mode()
  model.export(saved_model, verbose=False)
  sample = {k: v[:4096] for k, v in eval_x.items()}
  local = model.predict(sample, batch_size=4096, verbose=0).ravel()
  served = serve_in_other_process(saved_model, sample, serve_config, workdir)
  keys = {name: int(var.size().numpy())
          for name, var in demo_model.embedding_variables(model).items()}
  print_tables_view(train_config)
  multi_worker = {}
  for workers in ([1, args.workers] if args.workers > 1 else []):
    multi_worker["%d_worker%s" % (workers, "s" * (workers > 1))] = (
        train_with_workers(
            args, base, workdir, workers))
  return {
      "held_out_auc": round(float(auc), 4),
      "value_encoding": args.value_encoding,
      "keys_in_redis": keys,
      "redis_memory": redis_memory(),
      "train_examples_per_second": round(args.examples * args.epochs /
                                         train_seconds),
      "serving_max_abs_difference": float(np.max(np.abs(local - served))),
      "multi_worker_mirrored_strategy": multi_worker,
      "training_curve_png": curve,
      "saved_model": saved_model,
  }


def main(argv):
  args = parse_args(argv)
  if args.config:
    with open(args.config) as f:
      connection = json.load(f)
    summary = run(args, connection, lambda: "(not measured for your Redis)")
  else:
    from tools.testing import redis_servers  # pylint: disable=g-import-not-at-top
    with redis_servers.standalone() as redis:
      (port,) = redis.node_ports()
      print("Started a private redis-server on 127.0.0.1:%d" % port)
      memory = lambda: redis.redis_cli(port, "INFO", "memory").split(
          "used_memory_human:")[1].split()[0]
      summary = run(args, redis.table_config(), memory)
    print("Stopped the private redis-server")
  with open(os.path.join(args.output_dir, "summary.json"), "w") as out:
    json.dump(summary, out, indent=1)
  print("\n== Summary ==")
  for key, value in summary.items():
    print("%-28s %s" % (key, value))
  runs = summary["multi_worker_mirrored_strategy"]
  if runs:
    print("examples/s, one epoch under MultiWorkerMirroredStrategy: " +
          ", ".join("%s %d" % (name.replace("_", " "), run["examples_per_second"])
                    for name, run in runs.items()))
  ok = summary["held_out_auc"] > 0.6 and summary[
      "serving_max_abs_difference"] < 1e-5 and all(
          run["held_out_auc"] > 0.6 for run in runs.values())
  print("Result: %s" % ("OK" if ok else "FAILED (AUC too low or serving "
                                         "predictions differ)"))
  return 0 if ok else 1


if __name__ == "__main__":
  sys.exit(main(sys.argv[1:]))

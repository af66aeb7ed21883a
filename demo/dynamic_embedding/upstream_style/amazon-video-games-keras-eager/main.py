"""Upstream's amazon-video-games-keras-eager demo, against Redis.

Trains `VideoGameDnn` (a FieldWiseEmbedding with a FrequencyRestrictPolicy,
then a DNN) to predict verified purchases from synthetic reviews with the
dataset's schema (reviews.py), one `model.fit` call per batch as upstream
does; after every step `restrict` keeps the variable (and its Adam slots and
frequency status) at most `--max_size` ids. Then it saves the model and, in
`--mode test`, loads it and measures accuracy on later reviews.

    python main.py --mode train --export_dir export   # then:
    python main.py --mode test --export_dir export

`--save_format keras` writes `export/model.keras` (keras.models.load_model
loads it), `tf` a SavedModel directory (`de.keras.models.save_model`;
`tf.saved_model.load`). Both modes use the Redis of `--config` (a table
config file), where the rows live. `--ci` runs train, save, load and test in
one process, with both formats, against a private redis-server on a free
loopback port, and writes `summary.json`.
"""

import argparse
import json
import os
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

# pylint: disable=g-import-not-at-top,wrong-import-position
import numpy as np
import tensorflow as tf

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
  sys.path.insert(0, _HERE)

import tensorflow_recommenders_addons as tfra
from tensorflow_recommenders_addons import dynamic_embedding as de
import reviews
import video_game_model
# pylint: enable=g-import-not-at-top,wrong-import-position

_MODEL_FILE = "model.keras"


def parse_args(argv):
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--mode", choices=("train", "test"), default="train")
  parser.add_argument("--config", help="your Redis table config JSON")
  parser.add_argument("--batch_size", type=int, default=64)
  parser.add_argument("--num_steps", type=int, default=500)
  parser.add_argument("--embedding_size", type=int, default=4)
  parser.add_argument("--max_size", type=int, default=100000,
                      help="ids kept in the embedding (restrict)")
  parser.add_argument("--export_dir", default="./export_dir")
  parser.add_argument("--save_format", choices=("keras", "tf"),
                      default="keras")
  parser.add_argument("--ci", action="store_true",
                      help="short train + save + load + test, both formats")
  return parser.parse_args(argv)


def creator_for(config_path):
  return de.RedisTableCreator(
      de.RedisTableConfig(redis_config_abs_dir=config_path))


def adam():
  """Upstream prefers the legacy Adam where tf.keras has one (tf_keras)."""
  import keras  # pylint: disable=g-import-not-at-top
  if issubclass(tf.keras.Model, keras.Model):  # Keras 3
    return tf.keras.optimizers.Adam(1e-3)
  return tf.keras.optimizers.legacy.Adam(1e-3)


def train(args, creator):
  """Trains `num_steps` batches; returns (model, losses, sizes)."""
  model = video_game_model.VideoGameDnn(args.embedding_size, creator)
  model.compile(optimizer=de.DynamicEmbeddingOptimizer(adam()),
                loss="binary_crossentropy",
                metrics=[tf.keras.metrics.BinaryAccuracy()])
  losses, sizes = [], []
  for step, batch in enumerate(reviews.generate(args.num_steps,
                                                args.batch_size, seed=1)):
    history = model.fit(reviews.encode(batch), batch[reviews.LABEL],
                        epochs=1, verbose=0)
    losses.append(history.history["loss"][0])
    model.embedding_store.restrict(int(args.max_size * 0.8),
                                   trigger=args.max_size)
    sizes.append(int(model.embedding_store.size()))
    if step % 50 == 0:
      print("step %d: loss %.4f, size of sparse domain %d" %
            (step, losses[-1], sizes[-1]))
  return model, losses, sizes


def save(model, export_dir, save_format):
  if save_format == "keras":
    tf.io.gfile.makedirs(export_dir)
    model.save(os.path.join(export_dir, _MODEL_FILE))
  else:
    de.keras.models.save_model(model, export_dir, input_signature=[
        tf.TensorSpec([None, None], tf.int64)])


def load(export_dir, save_format):
  """A predict function of the saved model (`ids -> probabilities`)."""
  tfra.register_all()  # The ops and layers, as a fresh process needs them.
  if save_format == "keras":
    model = tf.keras.models.load_model(
        os.path.join(export_dir, _MODEL_FILE), compile=False)
    return lambda ids: model(ids, training=False)
  served = tf.saved_model.load(export_dir)
  return lambda ids: served.serve(ids)  # Keeps `served` (its variables).


def test(predict, num_steps, batch_size):
  """Accuracy of `predict` on reviews the training never saw."""
  accuracy = tf.keras.metrics.Accuracy()
  for batch in reviews.generate(num_steps, batch_size, seed=2):
    probabilities = tf.reshape(predict(reviews.encode(batch)), [-1])
    accuracy.update_state(batch[reviews.LABEL],
                          tf.cast(tf.round(probabilities), tf.int64))
  return float(accuracy.result())


def run_ci(args, creator):
  """Train, then save and load in both formats; returns the summary."""
  model, losses, sizes = train(args, creator)
  probe = reviews.encode(reviews.generate(1, 256, seed=3)[0])
  expected = model(probe, training=False).numpy()
  summary = {"first_losses": float(np.mean(losses[:10])),
             "last_losses": float(np.mean(losses[-10:])),
             "max_size_after_restrict": max(sizes),
             "final_size": sizes[-1],
             "status_size": int(model.embedding_store.restrict_policy
                                .status.size())}
  for save_format in ("keras", "tf"):
    export_dir = os.path.join(args.export_dir, save_format)
    save(model, export_dir, save_format)
    predict = load(export_dir, save_format)
    summary[save_format + "_max_abs_difference"] = float(np.max(np.abs(
        predict(probe).numpy() - expected)))
    summary[save_format + "_accuracy"] = test(predict, 20, args.batch_size)
  return summary


def _with_redis(args, body):
  """Runs `body(creator)` on `--config`, or on a private server (--ci)."""
  if args.config:
    return body(creator_for(args.config))
  from tools.testing import redis_servers  # pylint: disable=g-import-not-at-top
  with redis_servers.standalone() as deployment, \
      tempfile.TemporaryDirectory() as folder:
    config = deployment.write_table_config(
        os.path.join(folder, "redis.json"), model_tag_runtime="video_games",
        model_tag_import="video_games", table_store_mode=0)
    return body(creator_for(config))


def main(argv=None):
  args = parse_args(argv)
  if not (args.ci or args.config):
    sys.exit("--mode %s needs --config (your Redis): the trained rows live "
             "there. --ci runs train, save, load and test against a private "
             "server." % args.mode)
  if args.ci:
    args.num_steps, args.max_size = 120, 3000
    summary = _with_redis(args, lambda creator: run_ci(args, creator))
    with open(os.path.join(args.export_dir, "summary.json"), "w") as out:
      json.dump(summary, out, indent=1)
    print(json.dumps(summary, indent=1))
  elif args.mode == "train":
    _with_redis(args, lambda creator: save(train(args, creator)[0],
                                           args.export_dir, args.save_format))
  else:
    print("accuracy: %.4f" % test(load(args.export_dir, args.save_format),
                                  args.num_steps, args.batch_size))


if __name__ == "__main__":
  _ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
      _HERE))))
  if _ROOT not in sys.path:
    sys.path.append(_ROOT)  # tools/ of the repository, for the private Redis
  main()

"""Upstream's movielens-1m-keras demo, with its tables in Redis, under Keras 3
or tf_keras.

Like TFRA's demo/dynamic_embedding/movielens-1m-keras: a two-channel model
(`SquashedEmbedding`s of user and movie ids, three Dense layers beside a bias
net, a softmax over the five ratings) trained by `model.fit` with
`DynamicEmbeddingOptimizer(Adam)` on the one-hot rating (MSE, AUC), saved,
exported for inference and tested (how many predicted ratings are within one
star). The data come from movielens_data.py (TFDS' schema, nothing
downloaded); the embeddings and their Adam slots live in Redis.

    python movielens_1m_keras.py [--short] [--config FILE] [--output_dir DIR]
    TF_USE_LEGACY_KERAS=1 python movielens_1m_keras.py ...   # tf_keras

Steps: train (a checkpoint of model and optimizer after it), export (a
SavedModel serving `features -> rating probabilities`, lookups in inference
mode), test: a second Python process loads the SavedModel and predicts the
held-out batch, which must equal what the trained model predicted. Prints a
JSON summary (also written to <output_dir>/summary.json).
"""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
  sys.path.insert(0, _HERE)

import common  # pylint: disable=wrong-import-position

common.quiet_tensorflow()

# pylint: disable=g-import-not-at-top,wrong-import-position
import numpy as np
import tensorflow as tf

import movielens_data
# pylint: enable=g-import-not-at-top,wrong-import-position

# Keras 3 unless TF_USE_LEGACY_KERAS made tf.keras tf_keras.
_KERAS3 = tf.keras.layers.Layer.__module__.startswith("keras.")

INPUT_SPEC = {
    "user_id": tf.TensorSpec([None], tf.int64, name="user_id"),
    "movie_id": tf.TensorSpec([None], tf.int64, name="movie_id"),
}


def parse_args(argv):
  parser = common.argument_parser(__doc__, "checkpoint, SavedModel, summary",
                                  ratings=200_000, short={"ratings": 30_000})
  # --mode test: the second process, loading the SavedModel.
  parser.add_argument("--mode", default="all", choices=["all", "test"])
  parser.add_argument("--epochs", type=int, default=2)
  parser.add_argument("--batch_size", type=int, default=256)
  parser.add_argument("--embedding_size", type=int, default=32)
  parser.add_argument("--test_batch", type=int, default=1024)
  return parser.parse_args(argv)


class DualChannelsDeepModel(tf.keras.Model):
  """User and movie channels of dynamic embeddings, a DNN and a bias net."""

  def __init__(self, embedding_size, kv_creator, initializer):
    from tensorflow_recommenders_addons import dynamic_embedding as de  # pylint: disable=g-import-not-at-top
    super().__init__()
    self.user_embedding = de.keras.layers.SquashedEmbedding(
        embedding_size, initializer=initializer, kv_creator=kv_creator,
        name="user_embedding")
    self.movie_embedding = de.keras.layers.SquashedEmbedding(
        embedding_size, initializer=initializer, kv_creator=kv_creator,
        name="movie_embedding")
    dense = lambda units, activation: tf.keras.layers.Dense(
        units, activation=activation,
        kernel_initializer=tf.keras.initializers.RandomNormal(0.0, 0.1,
                                                              seed=1),
        bias_initializer=tf.keras.initializers.RandomNormal(0.0, 0.1, seed=2))
    self.dnn1 = dense(64, "relu")
    self.dnn2 = dense(16, "relu")
    self.dnn3 = dense(5, "softmax")
    self.bias_net = dense(5, "softmax")

  def get_config(self):
    return {"embedding_size": self.user_embedding.embedding_size}

  @property
  def input_dtype(self):
    # Keras 3 traces a subclassed model's default SavedModel signature (also
    # when it exports it) with inputs of this dtype, its float compute dtype
    # unless told otherwise; these inputs are ids.
    return "int64"

  def call(self, features, training=None):
    user_id = tf.reshape(features["user_id"], (-1, 1))
    movie_id = tf.reshape(features["movie_id"], (-1, 1))
    latent = tf.concat([self.user_embedding(user_id, training=training),
                        self.movie_embedding(movie_id, training=training)],
                       axis=1)
    x = self.dnn3(self.dnn2(self.dnn1(latent)))
    return 0.2 * x + 0.8 * self.bias_net(latent)


class Serving(tf.Module):
  """What the SavedModel serves under tf_keras: rating probabilities of a
  feature batch (Keras 3's model.export makes the same `serve`)."""

  def __init__(self, model):
    super().__init__()
    self.model = model

  @tf.function(input_signature=[INPUT_SPEC])
  def serve(self, features):
    return self.model(features, training=False)


def datasets(args):
  """(train, test features, test one-hot ratings) from the stand-in data."""
  raw = movielens_data.ratings(args.ratings, "1m")
  raw = raw.map(lambda x: (movielens_data.numeric_ids(x), tf.one_hot(
      tf.cast(x["user_rating"] - 1, tf.int64), 5)))
  raw = raw.shuffle(4096, seed=2021, reshuffle_each_iteration=False)
  test = next(iter(raw.take(args.test_batch).batch(args.test_batch)))
  train = raw.skip(args.test_batch).batch(args.batch_size)
  return train, test[0], test[1]


def close_and_equal(probabilities, ratings):
  """Upstream's test figures: predictions within one star, and exact."""
  predicted = np.argmax(probabilities, axis=1)
  actual = np.argmax(ratings, axis=1)
  return (int(np.sum(np.abs(predicted - actual) <= 1)),
          int(np.sum(predicted == actual)))


def exported_model(args):
  """Where the run exports the SavedModel and its test loads it."""
  return os.path.join(args.output_dir, "export")


def train_and_export(args, config_path, workdir):
  from tensorflow_recommenders_addons import dynamic_embedding as de  # pylint: disable=g-import-not-at-top
  creator = de.RedisTableCreator(
      de.RedisTableConfig(redis_config_abs_dir=config_path))
  model = DualChannelsDeepModel(
      args.embedding_size, creator,
      tf.keras.initializers.RandomNormal(0.0, 0.5, seed=3))
  optimizer = de.DynamicEmbeddingOptimizer(tf.keras.optimizers.Adam(1e-3))
  model.compile(optimizer=optimizer, loss=tf.keras.losses.MeanSquaredError(),
                metrics=[tf.keras.metrics.AUC(num_thresholds=1000)])
  train, test_features, test_ratings = datasets(args)
  history = model.fit(train, epochs=args.epochs, shuffle=False, verbose=2)

  checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer)
  checkpoint_path = checkpoint.write(os.path.join(args.output_dir, "ckpt"))
  predictions = model(test_features, training=False).numpy()
  common.save_for_check(workdir,
                        {k: v.numpy() for k, v in test_features.items()},
                        predictions)

  export_dir = exported_model(args)
  de.enable_inference_mode()
  if _KERAS3:
    # Keras 3 saves a subclassed model through model.export (its own
    # SavedModel path would trace a float signature guessed for the model).
    model.export(export_dir, input_signature=[INPUT_SPEC], verbose=False)
  else:
    tf.saved_model.save(Serving(model), export_dir)
  de.enable_train_mode()
  slots = sorted(v.name for layer in (model.user_embedding,
                                      model.movie_embedding)
                 for v in layer.params.get_slot_variables(optimizer))
  return {
      "loss_per_epoch": [float(x) for x in history.history["loss"]],
      "checkpoint": checkpoint_path,
      "export_dir": export_dir,
      "slot_variables": slots,
      "rows": {layer.name: int(layer.params.size())
               for layer in (model.user_embedding, model.movie_embedding)},
      "close_and_equal_of_test_batch": close_and_equal(
          predictions, test_ratings.numpy()),
      "keras": "keras 3" if _KERAS3 else "tf_keras",
  }


def test(args):
  """The second process: loads the SavedModel, predicts the saved batch."""
  common.register_ops()
  served = tf.saved_model.load(exported_model(args))
  features = dict(np.load(args.features))
  np.save(args.predictions,
          served.serve({k: tf.constant(v) for k, v in features.items()}))


def main(argv=None):
  args = parse_args(argv)
  if args.mode == "test":
    return test(args)
  return common.train_then_reload(__file__, args, train_and_export,
                                  reload_flags=["--mode", "test"])


if __name__ == "__main__":
  main()

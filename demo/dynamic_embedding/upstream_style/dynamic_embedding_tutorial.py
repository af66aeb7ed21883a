"""The dynamic-embedding tutorial's custom training loop, with its tables in
Redis.

Like TFRA's docs/tutorials/dynamic_embedding_tutorial.ipynb: a neural
collaborative filtering model (`NCFModel`: user and movie `de.get_variable`s,
three Dense layers) whose `call` looks up the unique ids of a batch with
`de.embedding_lookup(..., return_trainable=True)` and returns the MSE loss and
the trainable wrappers; a `tf.GradientTape` loop applies the gradients of the
Dense weights and of the wrappers with `DynamicEmbeddingOptimizer(Adam)`, and
prints the mean loss of every epoch. The data come from movielens_data.py
(TFDS' movielens/100k-ratings schema, nothing downloaded); the embeddings and
their Adam slots live in Redis.

    python dynamic_embedding_tutorial.py [--short] [--config FILE] [--output_dir DIR]

After training, the model's dense weights are saved in a checkpoint; a second
Python process builds the model again, restores the checkpoint, reads the
embeddings from Redis and predicts a batch, which must equal what the trained
model predicted. Prints a JSON summary.
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
from tensorflow_recommenders_addons import dynamic_embedding as de

import movielens_data
# pylint: enable=g-import-not-at-top,wrong-import-position


def parse_args(argv):
  parser = common.argument_parser(__doc__, "checkpoint and summary",
                                  ratings=100_000,
                                  short={"ratings": 10_000, "epochs": 3})
  # --mode predict: the second process.
  parser.add_argument("--mode", default="all", choices=["all", "predict"])
  parser.add_argument("--epochs", type=int, default=5)
  return parser.parse_args(argv)


class NCFModel(tf.keras.Model):
  """The tutorial's model: dynamic user and movie embeddings, a DNN."""

  def __init__(self, kv_creator):
    super().__init__()
    self.embedding_size = 32
    init = lambda seed: tf.keras.initializers.RandomNormal(0.0, 0.1, seed=seed)
    self.d0 = tf.keras.layers.Dense(256, activation="relu",
                                    kernel_initializer=init(1),
                                    bias_initializer=init(2))
    self.d1 = tf.keras.layers.Dense(64, activation="relu",
                                    kernel_initializer=init(3),
                                    bias_initializer=init(4))
    self.d2 = tf.keras.layers.Dense(1, kernel_initializer=init(5),
                                    bias_initializer=init(6))
    self.user_embeddings = de.get_variable(
        name="user_dynamic_embeddings", dim=self.embedding_size,
        initializer=tf.keras.initializers.RandomNormal(-1, 1, seed=7),
        kv_creator=kv_creator)
    self.movie_embeddings = de.get_variable(
        name="moive_dynamic_embeddings", dim=self.embedding_size,
        initializer=tf.keras.initializers.RandomNormal(-1, 1, seed=8),
        kv_creator=kv_creator)
    self.loss = tf.keras.losses.MeanSquaredError()

  def build(self, input_shape):
    del input_shape  # The dense layers' inputs are the embeddings.
    for layer, width in ((self.d0, 2 * self.embedding_size), (self.d1, 256),
                         (self.d2, 64)):
      layer.build((None, width))
    self.built = True

  def lookup(self, ids, table, name):
    """Rows of `ids` through their unique values (as the tutorial does)."""
    unique_ids, index = np.unique(ids, return_inverse=True)
    weights, wrapper = de.embedding_lookup(params=table, ids=unique_ids,
                                           name=name, return_trainable=True)
    return tf.gather(weights, index), wrapper

  def predict_ratings(self, batch):
    user_weights, user_wrapper = self.lookup(
        batch["user_id"], self.user_embeddings, "user-id-weights")
    movie_weights, movie_wrapper = self.lookup(
        batch["movie_id"], self.movie_embeddings, "movie-id-weights")
    dnn = self.d2(self.d1(self.d0(tf.concat([user_weights, movie_weights],
                                            axis=1))))
    return tf.reshape(dnn, [-1]), [user_wrapper, movie_wrapper]

  def call(self, batch):
    prediction, wrappers = self.predict_ratings(batch)
    return self.loss(batch["user_rating"], prediction), wrappers


def dataset(args):
  ratings = movielens_data.ratings(args.ratings, "100k")
  ratings = ratings.map(lambda x: dict(movielens_data.numeric_ids(x),
                                       user_rating=x["user_rating"]))
  shuffled = ratings.shuffle(100_000, seed=2021,
                             reshuffle_each_iteration=False)
  return shuffled.take(args.ratings).batch(256)


def train(model, optimizer, batches, epochs):
  """The tutorial's loop; returns the mean loss of every epoch."""
  means = []
  for epoch in range(epochs):
    total_loss = []
    for batch in batches:
      with tf.GradientTape() as tape:
        loss, wrappers = model(batch)
        total_loss.append(float(loss))
      variables = model.trainable_variables + wrappers
      grads = tape.gradient(loss, variables)
      optimizer.apply_gradients(zip(grads, variables))
    means.append(float(np.mean(total_loss)))
    print("epoch:", epoch, "mean_squared_error:", means[-1])
  return means


def creator(config_path):
  return de.RedisTableCreator(
      de.RedisTableConfig(redis_config_abs_dir=config_path))


def predict(args):
  """The second process: the model again, its checkpoint, Redis' rows."""
  model = NCFModel(creator(args.config))
  features = {k: tf.constant(v) for k, v in np.load(args.features).items()}
  de.enable_inference_mode()
  model.build(None)
  tf.train.Checkpoint(model=model).read(
      os.path.join(args.output_dir, "ckpt")).assert_existing_objects_matched()
  np.save(args.predictions, model.predict_ratings(features)[0].numpy())


def train_and_checkpoint(args, config_path, workdir):
  model = NCFModel(creator(config_path))
  optimizer = de.DynamicEmbeddingOptimizer(
      tf.keras.optimizers.Adam(learning_rate=0.001))
  batches = dataset(args)
  means = train(model, optimizer, batches, args.epochs)
  checkpoint_path = tf.train.Checkpoint(model=model).write(
      os.path.join(args.output_dir, "ckpt"))
  sample = next(iter(batches))
  features = {k: sample[k].numpy() for k in ("user_id", "movie_id")}
  de.enable_inference_mode()
  common.save_for_check(workdir, features,
                        model.predict_ratings(features)[0].numpy())
  de.enable_train_mode()
  slots = sorted(v.name for table in (model.user_embeddings,
                                      model.movie_embeddings)
                 for v in table.get_slot_variables(optimizer))
  return {"mean_squared_error_per_epoch": means,
          "checkpoint": checkpoint_path, "slot_variables": slots,
          "rows": {"user": int(model.user_embeddings.size()),
                   "movie": int(model.movie_embeddings.size())}}


def main(argv=None):
  args = parse_args(argv)
  if args.mode == "predict":
    return predict(args)
  return common.train_then_reload(__file__, args, train_and_checkpoint,
                                  reload_flags=["--mode", "predict"])


if __name__ == "__main__":
  main()

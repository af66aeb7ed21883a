"""The demo's model: one FieldWiseEmbedding over every feature, then a DNN.

As upstream's: the embedding rows of all features live in one `de.Variable`
with a FrequencyRestrictPolicy (so training keeps a count per id and
`restrict` can drop the rarest ids); each example's rows are averaged per
feature slot; three Dense layers predict the probability of a verified
purchase. Written with `tf.keras`, so it is a Keras 3 model by default and a
tf_keras one under TF_USE_LEGACY_KERAS=1.

Upstream decorates `call` with `tf.function` (with an int64 input
signature); Keras 3 cannot train a model whose `call` is one (its gradients
do not reach the layers' variables), and Keras traces `call` by itself, so
it is a plain method here and `input_dtype` says the ids are int64.
"""

import tensorflow as tf

from tensorflow_recommenders_addons import dynamic_embedding as de

import reviews  # pylint: disable=g-bad-import-order


@tf.keras.utils.register_keras_serializable(package="video_games_demo")
class VideoGameDnn(tf.keras.Model):
  """FieldWiseEmbedding (one row per feature slot) -> Dense 64 -> 16 -> 1."""

  def __init__(self, embedding_size=4, kv_creator=None, **kwargs):
    super().__init__(**kwargs)
    self.embedding_size = embedding_size
    self.embedding_layer = de.keras.layers.FieldWiseEmbedding(
        embedding_size,
        reviews.NUM_SLOTS,
        slot_map_fn=reviews.slot_of,
        combiner="mean",
        initializer=tf.keras.initializers.RandomNormal(0.0, 0.05, seed=1),
        restrict_policy=de.FrequencyRestrictPolicy,
        kv_creator=kv_creator,
        name="video_embedding")
    self.embedding_store = self.embedding_layer.params
    self.flat = tf.keras.layers.Flatten()
    self.dnn0 = tf.keras.layers.Dense(64, activation="relu")
    self.dnn1 = tf.keras.layers.Dense(16, activation="relu")
    self.dnn2 = tf.keras.layers.Dense(1, activation="sigmoid", use_bias=False)

  @property
  def input_dtype(self):
    # The model takes int64 ids. Keras 3 traces a subclassed model's default
    # SavedModel signature with `input_dtype` inputs (float32 by default),
    # which the embedding refuses, and `model.export` then leaves the tables
    # out (upstream set the dtype with a tf.function input_signature).
    return "int64"

  def call(self, ids, training=None):
    x = self.embedding_layer(ids, training=training)
    return self.dnn2(self.dnn1(self.dnn0(self.flat(x))))

  def build_from_config(self, config):
    """Creates the Dense weights before a saved model's weights load into
    them (Keras 3 cannot call a subclassed model by itself: its inputs are
    ids). The output width does not depend on the number of ids."""
    del config
    self(tf.zeros([1, 1], tf.int64), training=False)

  def get_config(self):
    config = super().get_config()
    creator = self.embedding_store.kv_creator
    config.update({
        "embedding_size": self.embedding_size,
        # The backend, so the loaded model reopens the same tables.
        "kv_creator": {"class_name": type(creator).__name__,
                       "config": creator.get_config()},
    })
    return config

  @classmethod
  def from_config(cls, config):
    config = dict(config)
    creator = config.pop("kv_creator")
    return cls(kv_creator=getattr(de, creator["class_name"]).from_config(
        creator["config"]), **config)

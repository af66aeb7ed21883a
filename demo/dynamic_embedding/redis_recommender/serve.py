"""Serves the exported SavedModel in a process of its own.

The model's tables read the Redis that TFRA_REDIS_CONFIG_PATH names (the
serving config: table_store_mode 2, so loading the model writes nothing).

    python serve.py SAVED_MODEL FEATURES.npz PREDICTIONS.npz
"""

import sys

import numpy as np
import tensorflow as tf


def main(saved_model, features_path, predictions_path):
  # Importing the package is not needed to load the model, but the op
  # library must be loaded before the graph that uses its ops.
  from tensorflow_recommenders_addons.dynamic_embedding.python.ops import redis_table_ops  # pylint: disable=g-import-not-at-top
  redis_table_ops.redis_table_ops.ops  # pylint: disable=pointless-statement
  model = tf.saved_model.load(saved_model)
  features = np.load(features_path)
  predictions = model.serve({
      "user_id": tf.constant(features["user_id"]),
      "item_id": tf.constant(features["item_id"]),
  })
  np.savez(predictions_path, predictions=np.asarray(predictions).ravel())


if __name__ == "__main__":
  main(*sys.argv[1:4])

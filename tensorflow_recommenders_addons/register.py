"""`tfra.register_all()`: make a fresh process able to load saved models.

Importing this package loads no native code (the op library loads on the
first table op). A process that only *loads* a SavedModel runs none of our
Python, so TensorFlow would not know the `TFRA>Redis...` ops its graph uses:
`register_all()` loads the op library and registers the Keras layers, as
upstream's function of the same name does.

Example:
  >>> import tensorflow_recommenders_addons as tfra
  >>> tfra.register_all()
  >>> model = tf.saved_model.load("/models/ranker/1")
"""

from tensorflow_recommenders_addons.dynamic_embedding.python.keras import keras_objects
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import redis_table_ops


def register_all(keras_objects=True, custom_kernels=True):  # pylint: disable=redefined-outer-name
  """Registers the package's Keras objects and op library; idempotent.

  Args:
    keras_objects: register the Keras layers under their serialized names,
      so `keras.models.load_model` (or tf_keras') finds them without
      `custom_objects`.
    custom_kernels: load the op library (`_redis_table_ops.so`), so
      `tf.saved_model.load` finds the ops.

  Raises:
    FileNotFoundError: the op library is missing.
    ImportError: it was built for another TensorFlow version.
  """
  if keras_objects:
    register_keras_objects()
  if custom_kernels:
    register_custom_kernels()


def register_keras_objects():
  """Registers the Keras layers (they also register on first import)."""
  keras_objects.register()


def register_custom_kernels():
  """Loads the op library into this process (a no-op once loaded)."""
  return redis_table_ops.redis_table_ops.ops

"""TensorFlow Recommenders Addons: dynamic embeddings backed by Redis.

Importing checks that the installed TensorFlow is the one the ops were built
for, and changes nothing in TensorFlow.
"""

from tensorflow_recommenders_addons.utils import ensure_tf_install

ensure_tf_install.check_tensorflow_version()

# pylint: disable=g-import-not-at-top,wrong-import-position
from tensorflow_recommenders_addons import dynamic_embedding
from tensorflow_recommenders_addons.version import __version__

__all__ = ["__version__", "dynamic_embedding"]

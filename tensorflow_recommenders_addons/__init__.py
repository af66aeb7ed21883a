"""TensorFlow Recommenders Addons: dynamic embeddings backed by Redis.

Importing checks that the installed TensorFlow is the one the ops were built
for, and changes nothing in TensorFlow (the Keras layers join Keras' registry
of serializable classes). A process that only loads a SavedModel calls
`register_all()` first, which loads the op library.
"""

from tensorflow_recommenders_addons.utils import ensure_tf_install

ensure_tf_install.check_tensorflow_version()

# pylint: disable=g-import-not-at-top,wrong-import-position
from tensorflow_recommenders_addons import dynamic_embedding
from tensorflow_recommenders_addons import register
from tensorflow_recommenders_addons.register import register_all
from tensorflow_recommenders_addons.version import __version__

__all__ = ["__version__", "dynamic_embedding", "register", "register_all"]

"""A clear error when the installed TensorFlow is not the one the ops were built for.

An op library built against one TensorFlow release fails to load in another
with an undefined-symbol trace; checking the version first names both.
"""

import tensorflow as tf

from tensorflow_recommenders_addons import version


def check_tensorflow_version():
  """Raises ImportError unless tf.__version__ matches the build's version."""
  installed = tf.__version__
  built_for = version.BUILT_FOR_TF_VERSION
  if _major_minor(installed) != _major_minor(built_for):
    raise ImportError(
        "tensorflow_recommenders_addons' ops were built for TensorFlow %s but "
        "TensorFlow %s is installed. Install tensorflow-cpu==%s or build the "
        "ops from source against the installed TensorFlow." %
        (built_for, installed, built_for))


def _major_minor(version_string):
  return tuple(version_string.split(".")[:2])

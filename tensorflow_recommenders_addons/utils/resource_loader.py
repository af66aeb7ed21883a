"""Finds and lazily loads the package's op libraries (.so files)."""

import os
import threading

import tensorflow as tf

_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def get_path_to_datafile(path):
  """Absolute path of `path`, given relative to the package root."""
  return os.path.join(_PACKAGE_ROOT, path)


class LazySO:
  """An op library loaded by `tf.load_op_library` on first use.

  Importing the package therefore loads no native code; the first op call
  does, once per process. Thread-safe.

  Example:
    _ops = LazySO("dynamic_embedding/core/_redis_table_ops.so")
    slots = _ops.ops.tfra_redis_hash_slot(keys)
  """

  def __init__(self, relative_path):
    self.relative_path = relative_path
    self._ops = None
    self._lock = threading.Lock()

  @property
  def path(self):
    return get_path_to_datafile(self.relative_path)

  @property
  def ops(self):
    if self._ops is None:
      with self._lock:
        if self._ops is None:
          self._ops = self._load()
    return self._ops

  def _load(self):
    from tensorflow_recommenders_addons.utils import ensure_tf_install  # pylint: disable=g-import-not-at-top
    if not os.path.exists(self.path):
      raise FileNotFoundError(
          "Op library %s is missing: build it with `bazel build "
          "//tensorflow_recommenders_addons/...` or install the wheel." %
          self.path)
    ensure_tf_install.check_tensorflow_version()
    return tf.load_op_library(self.path)

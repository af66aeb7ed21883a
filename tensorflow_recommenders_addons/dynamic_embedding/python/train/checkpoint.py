"""`de.train.Checkpoint` (`DECheckpoint`): upstream's checkpoint class.

Every `tf.train.Checkpoint` already saves `de.Variable`s, and writes the
key/value files of FileSystemSaver variables into
`<dir>/TFRADynamicEmbedding-<N>` (see ops/file_system_saver.py). What this
subclass adds, as upstream's: after each write it deletes the
`TFRADynamicEmbedding-<N>` folders whose checkpoint is gone (a
`tf.train.CheckpointManager` deletes old checkpoints, not those folders).
Upstream's Horovod coordination is not provided.
"""

import os
import re

import tensorflow as tf

from tensorflow_recommenders_addons.dynamic_embedding.python.ops import file_system_saver


class DECheckpoint(tf.train.Checkpoint):
  """A `tf.train.Checkpoint` that also removes the file folders of deleted
  checkpoints (see the module doc).

  Example:
    >>> checkpoint = de.train.Checkpoint(model=model, optimizer=optimizer)
    >>> manager = tf.train.CheckpointManager(checkpoint, "/ckpt", 3)
    >>> manager.save()  # /ckpt/ckpt-1.*, /ckpt/TFRADynamicEmbedding-1/...
  """

  def _write(self, file_prefix, options=None, *args, **kwargs):  # pylint: disable=keyword-arg-before-vararg
    # `save` and `tf.train.CheckpointManager.save` both write through here.
    path = super()._write(file_prefix, options, *args, **kwargs)
    _delete_orphan_folders(os.path.dirname(path))
    return path


Checkpoint = DECheckpoint

_STEP = re.compile(r"-([0-9]+)\.index$")


def _delete_orphan_folders(directory):
  """Deletes `TFRADynamicEmbedding-<N>` folders without a `*-<N>.index`."""
  pattern = os.path.join(directory, file_system_saver.FOLDER + "-*")
  folders = tf.io.gfile.glob(pattern)
  if not folders:
    return
  steps = set()
  for index in tf.io.gfile.glob(os.path.join(directory, "*.index")):
    match = _STEP.search(index)
    if match:
      steps.add(match.group(1))
  for folder in folders:
    step = folder.rsplit("-", 1)[-1]
    if step.isdigit() and step not in steps:
      tf.io.gfile.rmtree(folder)

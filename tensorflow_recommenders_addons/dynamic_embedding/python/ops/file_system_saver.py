"""`FileSystemSaver`: a variable's rows in key/value files beside checkpoints.

A `de.Variable` whose creator has a `FileSystemSaver` keeps its rows out of
checkpoint tensors (its tables are made with `checkpoint=False`). Instead,
every TF2 checkpoint that contains the variable (`tf.train.Checkpoint`,
`de.train.Checkpoint`, a SavedModel's variables) writes its key/value files
(`Variable.save_to_file_system`, upstream's names and bytes) into

- `saver.save_path`, when set; else
- `<checkpoint dir>/TFRADynamicEmbedding-<N>` for a checkpoint prefix
  ending in `-<N>` (what `Checkpoint.save` makes), else
  `<checkpoint dir>/TFRADynamicEmbedding` (a SavedModel's:
  `<saved model>/variables/TFRADynamicEmbedding`),

as upstream TFRA does, and restoring the checkpoint clears the variable and
loads every file of it there (`load_entire_dir`, so any shard or process
count loads). `proc_size` / `proc_rank` name the files as upstream's
Horovod ranks do.

TensorFlow calls these through a registered checkpoint saver, under
upstream's registered name (`DECustomSaver.Variable`), so checkpoints of
either package name the same saver. It is registered when the first such
variable is made, not at import. The in-process table writes files through
`tf.numpy_function`, which a SavedModel cannot hold: SavedModels with a
FileSystemSaver need the Redis backend.
"""

import tensorflow as tf
from tensorflow.python.saved_model.registration import registration

from tensorflow_recommenders_addons.dynamic_embedding.python.ops import creator_options

_PACKAGE = "DECustomSaver"
_NAME = "Variable"
_REGISTERED_NAME = "%s.%s" % (_PACKAGE, _NAME)
FOLDER = "TFRADynamicEmbedding"


def saver_of(variable):
  """The `FileSystemSaver` of `variable`'s creator, or None."""
  saver = getattr(getattr(variable, "kv_creator", None), "saver", None)
  return saver if isinstance(saver, creator_options.FileSystemSaver) else None


def ensure_registered():
  """Registers the checkpoint saver with TensorFlow, once per process."""
  try:
    registration.get_save_function(_REGISTERED_NAME)
    return
  except LookupError:
    pass
  registration.register_checkpoint_saver(
      package=_PACKAGE,
      name=_NAME,
      predicate=lambda obj: saver_of(obj) is not None,
      save_fn=_save,
      restore_fn=_restore,
      strict_predicate_restore=False)


def folder_of(prefix):
  """The files' folder for a checkpoint `prefix` (a string tensor); see the
  module doc."""
  prefix = tf.convert_to_tensor(prefix, tf.string)
  with_step = tf.strings.regex_replace(prefix, r"^(.*/)?[^/]*-([0-9]+)$",
                                       r"\1%s-\2" % FOLDER)
  without = tf.strings.regex_replace(prefix, r"^(.*/)?[^/]*$",
                                     r"\1%s" % FOLDER)
  return tf.where(tf.strings.regex_full_match(prefix, r".*-[0-9]+"),
                  with_step, without)


def _folder(saver, prefix):
  return saver.save_path if saver.save_path else folder_of(prefix)


def _save(trackables, file_prefix):
  """Writes each variable's files; TF passes `<prefix>-<saver name>`."""
  prefix = tf.strings.regex_replace(file_prefix,
                                    "-%s$" % _REGISTERED_NAME.replace(".",
                                                                      r"\."),
                                    "")
  for variable in trackables.values():
    saver = saver_of(variable)
    variable.save_to_file_system(_folder(saver, prefix),
                                 proc_size=saver.proc_size or 1,
                                 proc_rank=saver.proc_rank or 0,
                                 buffer_size=saver.buffer_size)
  return []  # No checkpoint shards of its own.


def _restore(trackables, merged_prefix):
  """Replaces each variable's rows with those of its files.

  TensorFlow runs this eagerly, or traces it into a tf.function (a
  SavedModel's restore) whose stateful ops run without being returned, so
  it returns nothing.
  """
  for variable in trackables.values():
    saver = saver_of(variable)
    cleared = variable.clear()
    with tf.control_dependencies([cleared] if cleared is not None else []):
      variable.load_from_file_system(
          _folder(saver, merged_prefix),
          proc_size=saver.proc_size or 1,
          proc_rank=saver.proc_rank or 0,
          load_entire_dir=True,
          buffer_size=saver.buffer_size)

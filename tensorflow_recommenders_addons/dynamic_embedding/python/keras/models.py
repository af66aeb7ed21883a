"""`de.keras.models.save_model` / `de_save_model`: upstream's Keras save
entry point.

Upstream wrapped tf_keras' SavedModel save to add the `TFRA` op namespace
and to write FileSystemSaver files per Horovod rank. Here a model is saved
by the Keras generation it belongs to:
- a `.keras` path: `model.save(path)` (Keras 3 and tf_keras);
- any other path: a SavedModel directory: tf_keras' `model.save(path, ...)`
  (SavedModel format), or under Keras 3, which no longer writes SavedModels
  from `save`, `model.export(path)` (an inference SavedModel with a `serve`
  endpoint, loadable by `tf.saved_model.load` and TF Serving).
FileSystemSaver variables write their key/value files through the
checkpoint of the SavedModel (see file_system_saver.py).
"""

import tensorflow as tf


def _is_keras3(model):
  import keras  # pylint: disable=g-import-not-at-top
  return isinstance(model, keras.Model)


def de_save_model(model,
                  filepath,
                  overwrite=True,
                  include_optimizer=True,
                  signatures=None,
                  options=None,
                  save_traces=True,
                  *args,
                  **kwargs):
  """Saves `model` (see the module doc for what each path gets).

  Args:
    model: a Keras 3 or tf_keras model.
    filepath: a `.keras` file, or a SavedModel directory.
    overwrite: replace an existing file or directory.
    include_optimizer: tf_keras SavedModels: save the optimizer's state.
    signatures: tf_keras SavedModels: the serving signatures.
    options: tf_keras SavedModels: a `tf.saved_model.SaveOptions`.
    save_traces: tf_keras SavedModels: save the layers' call functions.
    *args, **kwargs: passed to the underlying save.

  Raises:
    ValueError: Keras 3 with `signatures` or `options` for a directory
      (`model.export` takes neither; use `tf.saved_model.save`).
  """
  filepath = str(filepath)
  if filepath.endswith(".keras"):
    return model.save(filepath, overwrite=overwrite, *args, **kwargs)
  if not _is_keras3(model):
    # As upstream: the ops' namespace is allowed in the SavedModel.
    if options is None:
      options = tf.saved_model.SaveOptions(namespace_whitelist=["TFRA"])
    elif options.namespace_whitelist is not None and (
        "TFRA" not in options.namespace_whitelist):
      options.namespace_whitelist.append("TFRA")
    return model.save(filepath, overwrite=overwrite,
                      include_optimizer=include_optimizer,
                      signatures=signatures, options=options,
                      save_traces=save_traces, *args, **kwargs)
  if signatures is not None or options is not None:
    raise ValueError("Keras 3 exports SavedModels with model.export, which "
                     "takes no signatures or options; call "
                     "tf.saved_model.save(model, path, signatures, options)")
  if not overwrite and tf.io.gfile.exists(filepath):
    raise FileExistsError(filepath)
  del include_optimizer, save_traces  # An export serves; it does not train.
  return model.export(filepath, *args, verbose=False, **kwargs)


# Upstream's other name for it.
save_model = de_save_model

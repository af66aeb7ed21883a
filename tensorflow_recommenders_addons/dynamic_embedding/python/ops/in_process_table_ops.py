"""The default, in-process backend: a `KVTable` over TF's MutableHashTable.

Needs no native library of ours and no server, so `de.Variable`, the Keras
layers and the optimizer work out of the box; `RedisTableCreator` swaps in the
Redis backend behind the same protocol.
"""

import tensorflow as tf

from tensorflow_recommenders_addons.dynamic_embedding.python.ops import kv_file_io
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import kv_table
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import table_saveables

# TF's MutableHashTable has no kernels for these value types; rows are stored
# widened (exactly representable) and narrowed again on the way out.
_STORAGE_DTYPES = {
    tf.float16: tf.float32,
    tf.bfloat16: tf.float32,
    tf.int8: tf.int32,
}

# Floats are compared bit for bit (a stored NaN must equal itself).
_FLOAT_BITS = {tf.float32: tf.int32, tf.float64: tf.int64}


class InProcessHashTable(tf.lookup.experimental.MutableHashTable,
                         kv_table.KVTable):
  """A `KVTable` held in this process's memory (TF's MutableHashTable).

  This is what `CuckooHashTableCreator` makes (upstream's name is kept for API
  compatibility; the table is TF's `MutableHashTable`, not a cuckoo hash map,
  and has CPU kernels only). Its checkpoint entries are `table-keys` and
  `table-values`; restoring replaces the contents. Thread-safe per op; a
  `lookup(return_exists=True)` concurrent with writes may report a key that
  changed in between as absent.

  Example:
    >>> table = InProcessHashTable(tf.int64, tf.float32, tf.zeros([2]))
    >>> table.insert(tf.constant([7], tf.int64), tf.ones([1, 2]))
    >>> table.lookup(tf.constant([7, 8], tf.int64)).numpy()
    array([[1., 1.], [0., 0.]], dtype=float32)
  """

  def __init__(self,
               key_dtype,
               value_dtype,
               default_value,
               name="InProcessHashTable",
               checkpoint=True,
               init_size=0,
               config=None,
               device="",
               shard_saveable_object_fn=None):
    """Creates an empty table.

    Args:
      key_dtype: key `tf.DType` (int32, int64 or string).
      value_dtype: value `tf.DType`.
      default_value: the row returned for absent keys; its shape is the row
        shape.
      name: table (op) name.
      checkpoint: whether checkpoints save the table; an untracked table is
        never saved, so this only matters for graph-mode Savers.
      init_size: ignored (the table grows on demand).
      config: ignored (a `CuckooHashTableConfig` carries no settings).
      device: device to place the table on ("" leaves it to TF).
      shard_saveable_object_fn: ignored (no file-system saver here).
    """
    del init_size, config, shard_saveable_object_fn  # Unused, see Args.
    self._given_name = name
    self._logical_dtype = tf.as_dtype(value_dtype)
    storage_dtype = _STORAGE_DTYPES.get(self._logical_dtype,
                                        self._logical_dtype)
    default_value = tf.convert_to_tensor(default_value, self._logical_dtype)
    with tf.device(device or None):
      super().__init__(key_dtype,
                       storage_dtype,
                       tf.cast(default_value, storage_dtype),
                       name=name,
                       checkpoint=checkpoint)

  @property
  def value_dtype(self):
    return self._logical_dtype

  def lookup(self, keys, dynamic_default_values=None, return_exists=False,
             name=None):
    with tf.name_scope(name or "InProcessHashTable_lookup"):
      keys = self._checked_keys(keys)
      defaults = self._default_value
      if dynamic_default_values is not None:
        defaults = self._to_storage(dynamic_default_values)
      values = super().lookup(keys, dynamic_default_values=defaults)
      values.set_shape(keys.shape.concatenate(self._value_shape))
      result = self._to_logical(values)
      if not return_exists:
        return result
      # A present key returns its row whatever the default; an absent one
      # returns the default, which differs from its flipped copy everywhere.
      probe = super().lookup(keys, dynamic_default_values=_flipped(defaults))
      probe.set_shape(values.shape)
      return result, self._rows_equal(values, probe)

  def insert(self, keys, values, name=None):
    with tf.name_scope(name or "InProcessHashTable_insert"):
      return super().insert(self._checked_keys(keys), self._to_storage(values))

  def accum(self, keys, values_or_deltas, exists, name=None):
    if not (self._logical_dtype.is_floating or self._logical_dtype.is_integer):
      raise TypeError("accum needs numeric values, the table holds %s" %
                      self._logical_dtype.name)
    with tf.name_scope(name or "InProcessHashTable_accum"):
      keys = tf.reshape(self._checked_keys(keys), [-1])
      deltas = tf.reshape(self._to_storage(values_or_deltas),
                          tf.concat([[-1], self._value_shape], 0))
      exists = tf.reshape(tf.convert_to_tensor(exists, tf.bool), [-1])
      current, present = self.lookup(keys, return_exists=True)
      rows = tf.where(tf.reshape(exists, [-1, 1]),
                      self._to_storage(tf.reshape(current, tf.shape(deltas))) +
                      deltas, deltas)
      # Upstream's HMACCUM rule (the Redis table's too): a row is written
      # only where the caller's view still holds: a delta where the key is
      # stored, a full row where it is absent. Anything else changed since
      # it was read and is left alone.
      keep = tf.equal(exists, present)
      return super().insert(tf.boolean_mask(keys, keep),
                            tf.boolean_mask(rows, keep))

  def remove(self, keys, name=None):
    with tf.name_scope(name or "InProcessHashTable_remove"):
      return super().remove(self._checked_keys(keys))

  def clear(self, name=None):
    with tf.name_scope(name or "InProcessHashTable_clear"):
      keys, _ = super().export()
      return super().remove(keys)

  def export(self, name=None):
    keys, values = super().export(name=name)
    return keys, self._to_logical(values)

  def save_to_file_system(self,
                          dirpath,
                          file_name=None,
                          dirpath_env="TFRA_SAVED_KV",
                          append_to_file=False,
                          buffer_size=4194304,
                          name=None):
    """Writes every row to `<dir>/<file_name>-keys` / `-values`, in the
    format of the Redis table's files (TFRA 0.8's bytes for numeric types),
    so either table loads the other's files. Runs in a
    `tf.numpy_function` (a SavedModel cannot hold it). Arguments as
    `RedisTable.save_to_file_system`; `file_name` defaults to the table's
    name."""
    with tf.name_scope(name or "InProcessHashTable_save_to_file_system"):
      keys, values = self.export()
      return kv_file_io.save_rows(keys, values, dirpath,
                                  file_name or self._file_name(),
                                  dirpath_env, append_to_file, buffer_size)

  def load_from_file_system(self,
                            dirpath,
                            file_name=None,
                            dirpath_env="TFRA_SAVED_KV",
                            load_entire_dir=False,
                            buffer_size=4194304,
                            name=None):
    """Upserts the rows of key/value files (of either table, or TFRA 0.8);
    with `load_entire_dir`, every file pair of `<file_name up to its last
    _mht_>*`. Arguments as `RedisTable.load_from_file_system`.

    Raises:
      NotFoundError: a file is missing.
      InvalidArgumentError: the two files disagree.
    """
    del buffer_size  # The files are read whole (the rows live in memory).
    with tf.name_scope(name or "InProcessHashTable_load_from_file_system"):
      keys, values = kv_file_io.load_rows(
          dirpath, [file_name or self._file_name()], dirpath_env,
          load_entire_dir, self._key_dtype, self._logical_dtype,
          self._value_shape.num_elements())
      return self.insert(keys, values)

  def _file_name(self):
    """The default file name: the table's name (an eager table's `name` is
    None, so the name it was given)."""
    return self._given_name

  def _serialize_to_tensors(self):
    """TF's entries, or none for a table made with `checkpoint=False` (a
    FileSystemSaver variable's: its files hold the rows)."""
    return super()._serialize_to_tensors() if self._checkpoint else {}

  def _gather_saveables_for_checkpoint(self):
    """What `tf.compat.v1.train.Saver(var_list=[table])` saves: the entry
    the table's variable saves (TF's own, named after the table), not TF's
    unnamed default (see table_saveables.py)."""
    return table_saveables.tf1_saver_entries(self)

  def _restore_from_tensors(self, restored_tensors):
    if not restored_tensors:  # A table with checkpoint=False saved nothing.
      return tf.no_op()
    restored = dict(restored_tensors)
    restored["-values"] = self._to_storage(restored["-values"])
    return super()._restore_from_tensors(restored)

  def _checked_keys(self, keys):
    if isinstance(keys, (tf.Tensor, tf.Variable)) and (keys.dtype !=
                                                       self._key_dtype):
      raise TypeError("keys must be %s, got %s" %
                      (self._key_dtype.name, keys.dtype.name))
    return tf.convert_to_tensor(keys, self._key_dtype)

  def _to_storage(self, values):
    values = tf.convert_to_tensor(values, self._logical_dtype)
    return tf.cast(values, self._value_dtype) if (
        self._value_dtype != self._logical_dtype) else values

  def _to_logical(self, values):
    return tf.cast(values, self._logical_dtype) if (
        self._value_dtype != self._logical_dtype) else values

  def _rows_equal(self, a, b):
    """True where every element of a row of `a` equals `b` bit for bit."""
    bits = _FLOAT_BITS.get(a.dtype)
    if bits is not None:
      a, b = tf.bitcast(a, bits), tf.bitcast(b, bits)
    value_rank = self._value_shape.rank
    return tf.reduce_all(tf.equal(a, b), axis=list(range(-value_rank, 0)))


def _flipped(values):
  """A tensor like `values` that differs from it in every element."""
  if values.dtype == tf.bool:
    return tf.logical_not(values)
  if values.dtype == tf.string:
    return tf.strings.join([values, "\x01"])
  bits = _FLOAT_BITS.get(values.dtype)
  if bits is not None:
    return tf.bitcast(tf.bitwise.invert(tf.bitcast(values, bits)),
                      values.dtype)
  return tf.bitwise.invert(values)


# Upstream's class name for the default table (see the class docstring).
CuckooHashTable = InProcessHashTable

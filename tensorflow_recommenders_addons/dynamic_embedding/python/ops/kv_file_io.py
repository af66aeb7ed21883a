"""Key/value files for tables that have no file ops of their own.

Key/value files are what `save_to_file_system` writes: a `-keys` and a
`-values` file per table (not the `DUMP` files of `table_store_mode` 1,
which hold Redis' own serialization of a bucket).
`Variable.save_to_file_system` / `load_from_file_system` (see
variable_file_system.py) call a table's own ops when they can (the Redis
table's kernels stream rows in `buffer_size` batches). Rows of the
in-process table, which has none, and rows a Variable splits by shard go
through here, in the Redis kernel's format (core/lib/redis_table/
kv_files.h), which for numeric types is byte-identical to TFRA 0.8's:

  - `<dir>/<file_name>-keys`: int32/int64 keys as little-endian bytes; a
    string key as a 4-byte little-endian length plus its bytes;
  - `<dir>/<file_name>-values`: row i of key i, `dim` elements, each
    little-endian (bool: one byte; string: 4-byte length plus bytes).

Files of either backend (and of TFRA 0.8) load into the other. Paths go
through `tf.io.gfile`, so every TensorFlow file system works. The work runs
in `tf.numpy_function`s: eagerly, or as ops of a graph / `tf.function` (such
graphs cannot be serialized into a SavedModel). Loading reads the files
whole: the in-process table holds its rows in memory anyway.
"""

import os
import struct

import numpy as np
import tensorflow as tf

_KEYS_SUFFIX = "-keys"
_VALUES_SUFFIX = "-values"
_SHARD_MARKER = "_mht_"
_LENGTH = struct.Struct("<I")

# Element types as stored in the files. 16-bit floats cross the numpy
# boundary as their bit patterns (uint16) so no conversion can touch them.
_FILE_DTYPES = {
    tf.int8: np.dtype("i1"),
    tf.int32: np.dtype("<i4"),
    tf.int64: np.dtype("<i8"),
    tf.float32: np.dtype("<f4"),
    tf.float64: np.dtype("<f8"),
    tf.bool: np.dtype("?"),
    tf.float16: np.dtype("<u2"),
    tf.bfloat16: np.dtype("<u2"),
}
_BIT_PATTERNS = (tf.float16, tf.bfloat16)


def resolve_dir(dirpath, dirpath_env):
  """The folder: env var `dirpath_env` if set and non-empty, else `dirpath`."""
  value = os.environ.get(dirpath_env) if dirpath_env else None
  return value if value else dirpath


def join_path(directory, file_name):
  """`directory/file_name` with one '/' between them (URIs work)."""
  if not directory:
    return file_name
  return directory.rstrip("/") + "/" + file_name.lstrip("/")


def _transport_dtype(dtype):
  return tf.uint16 if dtype in _BIT_PATTERNS else dtype


def _to_transport(tensor):
  if tensor.dtype in _BIT_PATTERNS:
    return tf.bitcast(tensor, tf.uint16)
  return tensor


def _from_transport(tensor, dtype):
  return tf.bitcast(tensor, dtype) if dtype in _BIT_PATTERNS else tensor


def _invalid(message):
  return tf.errors.InvalidArgumentError(None, None, message)


def _encode(array, dtype):
  """File bytes of `array` (keys, or rows flattened), elements in order."""
  if dtype == tf.string:
    return b"".join(_LENGTH.pack(len(item)) + item for item in array.ravel())
  flat = np.ascontiguousarray(array.ravel(), dtype=_FILE_DTYPES[dtype])
  return flat.tobytes()


def _decode(data, dtype, path):
  """The elements of file `path` holding `data`, as a 1-D numpy array."""
  if dtype != tf.string:
    element = _FILE_DTYPES[dtype]
    if len(data) % element.itemsize:
      raise _invalid("%s: %d bytes is not a whole number of %s elements" %
                       (path, len(data), dtype.name))
    return np.frombuffer(data, dtype=element).astype(element.newbyteorder("="))
  items, offset = [], 0
  while offset < len(data):
    if offset + _LENGTH.size > len(data):
      raise _invalid("%s: truncated length at byte %d" % (path, offset))
    (length,) = _LENGTH.unpack_from(data, offset)
    offset += _LENGTH.size
    if offset + length > len(data):
      raise _invalid("%s: truncated string at byte %d" % (path, offset))
    items.append(data[offset:offset + length])
    offset += length
  return np.array(items, dtype=object)


def _text(value):
  """A string tensor's element as numpy hands it over (0-d array or bytes)."""
  if isinstance(value, np.ndarray):
    value = value.item()
  return value.decode() if isinstance(value, bytes) else str(value)


def save_rows(keys, values, dirpath, file_name, dirpath_env, append_to_file,
              buffer_size):
  """Writes `(keys [M], values [M, dim])` to the files of `file_name`.

  The files are written under temporary names and renamed when complete
  (unless appending). Returns an op (None eagerly, where it has run).
  """
  key_dtype, value_dtype = keys.dtype, values.dtype
  buffer_size = max(int(buffer_size), 1)

  def write(directory, name, key_array, value_array):
    path = join_path(resolve_dir(_text(directory), dirpath_env), _text(name))
    parent = os.path.dirname(path)
    if parent:
      tf.io.gfile.makedirs(parent)
    for suffix, array, dtype in ((_KEYS_SUFFIX, key_array, key_dtype),
                                 (_VALUES_SUFFIX, value_array, value_dtype)):
      target = path + suffix
      written = target if append_to_file else target + ".tmp"
      with tf.io.gfile.GFile(written, "ab" if append_to_file else "wb") as out:
        out.write(b"")  # GFile creates the file on its first write.
        for start in range(0, len(array), buffer_size):
          out.write(_encode(array[start:start + buffer_size], dtype))
      if not append_to_file:
        tf.io.gfile.rename(written, target, overwrite=True)
    return np.int64(len(key_array))

  rows = tf.numpy_function(
      write, [tf.convert_to_tensor(dirpath, tf.string),
              tf.convert_to_tensor(file_name, tf.string), _to_transport(keys),
              _to_transport(values)], tf.int64, stateful=True,
      name="save_rows")
  return tf.group(rows)


def saved_tables(directory, file_name):
  """`load_entire_dir`: the saved tables in `directory` that belong to
  `file_name` (same rule as the Redis kernel: the name up to and including
  its last "_mht_", i.e. every shard and rank of a Variable), sorted.

  Raises:
    tf.errors.NotFoundError: none, or a table with only one of its files.
  """
  marker = file_name.rfind(_SHARD_MARKER)
  prefix = (file_name + _SHARD_MARKER if marker < 0 else
            file_name[:marker + len(_SHARD_MARKER)])
  found = {}
  for child in tf.io.gfile.listdir(directory):
    for suffix in (_KEYS_SUFFIX, _VALUES_SUFFIX):
      base = child[:-len(suffix)]
      if child.endswith(suffix) and (base.startswith(prefix) or
                                     (marker < 0 and base == file_name)):
        found.setdefault(base, set()).add(suffix)
  for base, suffixes in found.items():
    if len(suffixes) != 2:
      raise tf.errors.NotFoundError(
          None, None, "saved table '%s' in %s has only its %s file" %
          (base, directory, next(iter(suffixes))))
  if not found:
    raise tf.errors.NotFoundError(
        None, None, "no saved key/value files for '%s' in %s (looked for %s*-keys"
        "/-values)" % (file_name, directory, prefix))
  return sorted(found)


def load_rows(dirpath, file_names, dirpath_env, load_entire_dir, key_dtype,
              value_dtype, dim):
  """`(keys [M], values [M, dim])` read from the files of `file_names`.

  With `load_entire_dir`, every saved table `saved_tables` finds for each
  name. Files that disagree (record counts, partial records) fail with
  InvalidArgument before anything is returned; missing files with NotFound.
  """

  def read(directory, names):
    directory = resolve_dir(_text(directory), dirpath_env)
    bases = []
    for name in (_text(n) for n in names):
      for base in (saved_tables(directory, name) if load_entire_dir else
                   [name]):
        if base not in bases:
          bases.append(base)
    all_keys, all_values = [], []
    for base in bases:
      path = join_path(directory, base)
      with tf.io.gfile.GFile(path + _KEYS_SUFFIX, "rb") as f:
        keys = _decode(f.read(), key_dtype, path + _KEYS_SUFFIX)
      with tf.io.gfile.GFile(path + _VALUES_SUFFIX, "rb") as f:
        values = _decode(f.read(), value_dtype, path + _VALUES_SUFFIX)
      if values.size != keys.size * dim:
        raise _invalid("%s: %d keys but %d values (dim %d)" %
                         (path, keys.size, values.size, dim))
      all_keys.append(keys)
      all_values.append(values)
    return np.concatenate(all_keys), np.concatenate(all_values)

  keys, values = tf.numpy_function(
      read, [tf.convert_to_tensor(dirpath, tf.string),
             tf.convert_to_tensor(list(file_names), tf.string)],
      [key_dtype, _transport_dtype(value_dtype)], stateful=True,
      name="load_rows")
  keys = tf.reshape(keys, [-1])
  values = tf.reshape(_from_transport(values, value_dtype), [-1, dim])
  return keys, values

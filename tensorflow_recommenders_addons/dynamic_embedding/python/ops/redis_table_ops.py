"""`RedisTable`: a dynamic-embedding table whose rows live in Redis.

Python wrappers of the ops in `_redis_table_ops.so`, loaded on first use.
"""

import contextlib
import os

import tensorflow as tf
from tensorflow.python.eager import context
from tensorflow.python.framework import ops
from tensorflow.python.ops import lookup_ops
from tensorflow.python.training.saving import saveable_object

from tensorflow_recommenders_addons.dynamic_embedding.python.ops import creator_options
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import kv_table
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import redis_config_path
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import table_saveables
from tensorflow_recommenders_addons.utils import resource_loader
from tensorflow_recommenders_addons.utils.resource_loader import LazySO

redis_table_ops = LazySO("dynamic_embedding/core/_redis_table_ops.so")
_HMACCUM_MODULE = "dynamic_embedding/core/redis_module/hmaccum.so"
# The counts of TFRA>RedisTableReadCacheStats, in its order.
_READ_CACHE_STATS = ("hits", "misses", "expired", "evictions", "entries",
                     "bytes", "capacity_bytes")

ops.NotDifferentiable("TFRA>RedisTableOfTensors")


def _cpu_of(device):
  """The CPU of the worker `device` names: the Redis ops have CPU kernels
  only, so a table asked for on a GPU is placed on its host's CPU."""
  if not device:
    return "/CPU:0"
  spec = tf.DeviceSpec.from_string(device)
  return spec.replace(device_type="CPU", device_index=0).to_string()


class RedisTable(lookup_ops.LookupInterface, kv_table.KVTable):
  """A mutable table of embedding rows stored in Redis.

  Data layout, JSON configuration and op names are those of TFRA 0.8's Redis
  backend, so tables written by either are read by the other. The JSON file
  is chosen by `config` (see `redis_config_path`); the kernel re-resolves it
  in the process that runs the graph, so a SavedModel can serve from another
  Redis through `TFRA_REDIS_CONFIG_PATH`.

  Example:
    >>> config = RedisTableConfig(redis_config_abs_dir="/tmp/redis.json")
    >>> table = RedisTable(tf.int64, tf.float32, tf.zeros([4]), name="emb",
    ...                    config=config)
    >>> table.insert(tf.constant([1, 2], tf.int64), tf.ones([2, 4]))
    >>> table.lookup(tf.constant([1, 3], tf.int64))  # row 3 is the default

  Args:
    key_dtype: int32, int64 or string.
    value_dtype: the row element type (see the supported matrix in the docs).
    default_value: the row for absent keys; its shape `[dim]` is the row shape.
    name: table name; the Redis key names use the part before "_mht_", so
      all shards of one Variable share one Redis table.
    checkpoint: whether checkpoints save the table (how depends on the
      config's `table_store_mode`: 0 rows in the checkpoint, 1 DUMP files,
      2 nothing).
    config: a `RedisTableConfig` (None: `RedisTableConfig()`).
    device: where the table runs; always a CPU (of that worker).
    shard_saveable_object_fn: accepted for API compatibility; unused.

  Raises:
    ValueError: `default_value` is not a vector, or no config file is found
      (the message names the path and where it came from).
    TypeError: `config` is not a `RedisTableConfig`.
  """

  def __init__(self,
               key_dtype,
               value_dtype,
               default_value,
               name="RedisTable",
               checkpoint=False,
               config=None,
               device="",
               shard_saveable_object_fn=None):
    del shard_saveable_object_fn  # Unused, see Args.
    config = config if config is not None else (
        creator_options.RedisTableConfig())
    if not isinstance(config, creator_options.RedisTableConfig):
      raise TypeError("config must be a RedisTableConfig, got %r" % (config,))
    self._default_value = tf.convert_to_tensor(default_value, dtype=value_dtype)
    self._value_shape = self._default_value.get_shape()
    if self._value_shape.rank != 1:
      raise ValueError("default_value must be a vector [dim], got shape %s" %
                       self._value_shape)
    self._name = name
    self._checkpoint = checkpoint
    self._config = config
    self._device = _cpu_of(device)
    self._embedding_name = name.split("_mht_", 1)[0]
    self._config_path = redis_config_path.resolve_config_path(
        config.redis_config_abs_dir_env, config.redis_config_abs_dir).path
    self._shared_name = None
    if context.executing_eagerly():
      # One resource per Python object, as TF's MutableHashTable does.
      self._shared_name = "redis_table_%d" % (ops.uid(),)
    super().__init__(key_dtype, value_dtype)
    self._resource_handle = self._create_resource()

  def _create_resource(self):
    with ops.device(self._device):
      return redis_table_ops.ops.tfra_redis_table_of_tensors(
          shared_name=self._shared_name,
          use_node_name_sharing=self._checkpoint and self._shared_name is None,
          key_dtype=self._key_dtype,
          value_dtype=self._value_dtype,
          value_shape=self._value_shape,
          embedding_name=self._embedding_name,
          redis_config_abs_dir=self._config_path,
          redis_config_abs_dir_env=self._config.redis_config_abs_dir_env or "",
          name=self._name)

  @property
  def name(self):
    return self._name

  @property
  def embedding_name(self):
    """The table's name inside Redis keys (`<model_tag>:<embedding_name>`)."""
    return self._embedding_name

  @property
  def default_value(self):
    return self._default_value

  @property
  def storage_id(self):
    """Tables of one config file and embedding name share their Redis rows."""
    return ("redis", self._config_path, self._config.redis_config_abs_dir_env,
            self._embedding_name)

  def _op_scope(self, name):
    """The name scope and placement beside the table of one call's ops.

    Eagerly neither is needed (an eager op runs on the device of its resource
    input, the table's CPU), and skipping them saves about a tenth of the
    time of a 1k-key lookup.
    """
    if context.executing_eagerly():
      return contextlib.nullcontext()
    return _graph_op_scope(name, self.resource_handle)

  def _keys(self, keys):
    # An eager tensor of the key dtype passes as is: the conversion and
    # DType.__ne__ cost ~3 us, a fifth of an eager call's Python part.
    if isinstance(keys, ops.EagerTensor) and keys.dtype is self._key_dtype:
      return keys
    keys = tf.convert_to_tensor(keys)
    if keys.dtype != self._key_dtype:
      raise TypeError("keys must be %s, got %s" % (self._key_dtype, keys.dtype))
    return keys

  def _values(self, values):
    """`values` as a tensor of the value dtype (same fast path as `_keys`)."""
    if (isinstance(values, ops.EagerTensor) and
        values.dtype is self._value_dtype):
      return values
    return tf.convert_to_tensor(values, self._value_dtype)

  def lookup(self, keys, dynamic_default_values=None, return_exists=False,
             name=None):
    keys = self._keys(keys)
    defaults = (self._default_value if dynamic_default_values is None else
                self._values(dynamic_default_values))
    with self._op_scope(name or "%s_lookup_table_find" % self._name):
      if return_exists:
        return redis_table_ops.ops.tfra_redis_table_find_with_exists(
            self.resource_handle, keys, defaults)
      return redis_table_ops.ops.tfra_redis_table_find(
          self.resource_handle, keys, defaults)

  def insert(self, keys, values, name=None):
    keys = self._keys(keys)
    values = self._values(values)
    with self._op_scope(name or "%s_lookup_table_insert" % self._name):
      return redis_table_ops.ops.tfra_redis_table_insert(
          self.resource_handle, keys, values)

  def accum(self, keys, values_or_deltas, exists, name=None):
    keys = self._keys(keys)
    values_or_deltas = self._values(values_or_deltas)
    exists = tf.convert_to_tensor(exists, tf.bool)
    with self._op_scope(name or "%s_lookup_table_accum" % self._name):
      return redis_table_ops.ops.tfra_redis_table_accum(
          self.resource_handle, keys, values_or_deltas, exists)

  def remove(self, keys, name=None):
    keys = self._keys(keys)
    with self._op_scope(name or "%s_lookup_table_remove" % self._name):
      return redis_table_ops.ops.tfra_redis_table_remove(
          self.resource_handle, keys)

  def clear(self, name=None):
    with self._op_scope(name or "%s_lookup_table_clear" % self._name):
      return redis_table_ops.ops.tfra_redis_table_clear(
          self.resource_handle, key_dtype=self._key_dtype,
          value_dtype=self._value_dtype)

  def size(self, name=None):
    with self._op_scope(name or "%s_Size" % self._name):
      return redis_table_ops.ops.tfra_redis_table_size(self.resource_handle)

  def read_cache_stats(self, name=None):
    """Counts of the process's read cache (`redis_read_cache_bytes`).

    The cache is shared by the process's tables, so the counts are of all of
    them; all zero when the process has no cache.

    Example:
      >>> stats = table.read_cache_stats()
      >>> hit_rate = int(stats["hits"]) / max(1, int(stats["hits"]) +
      ...                                     int(stats["misses"]))

    Returns:
      A dict of int64 scalars: `hits`, `misses` (rows read from Redis,
      `expired` included), `expired` (cached longer ago than
      `redis_read_cache_staleness_ms`), `evictions`, `entries`, `bytes`
      (charged, never above `capacity_bytes`) and `capacity_bytes`.
    """
    with self._op_scope(name or "%s_read_cache_stats" % self._name):
      stats = redis_table_ops.ops.tfra_redis_table_read_cache_stats(
          self.resource_handle)
    return {key: stats[i] for i, key in enumerate(_READ_CACHE_STATS)}

  def export(self, name=None):
    """Every stored row: `(keys [M], values [M, dim])`, whatever the store mode."""
    with self._op_scope(name or "%s_lookup_table_export_rows" % self._name):
      return redis_table_ops.ops.tfra_redis_table_export_rows(
          self.resource_handle, self._key_dtype, self._value_dtype)

  def adopt_renamed(self, former_name):
    """See `KVTable.adopt_renamed`: renames the former name's buckets (same
    model tag, same hash tags, so no row is copied), then re-buckets them if
    the former layout differs. Runs the op at once (eagerly)."""
    former_embedding_name = former_name.split("_mht_", 1)[0]
    with tf.init_scope(), ops.device(self._device):
      if not context.executing_eagerly():
        raise RuntimeError("adopt_renamed runs eagerly only (%s)" % self._name)
      renamed, kept_both = redis_table_ops.ops.tfra_redis_table_adopt_renamed(
          self.resource_handle, former_embedding_name)
      return int(renamed), bool(kept_both)

  def save_to_file_system(self,
                          dirpath,
                          file_name=None,
                          dirpath_env="TFRA_SAVED_KV",
                          append_to_file=False,
                          buffer_size=4194304,
                          name=None):
    """Writes every row to the files `<dir>/<file_name>-keys` and `-values`.

    Row i of one file belongs to row i of the other. Numeric keys and rows
    are written as TFRA 0.8 writes them (raw little-endian keys, rows of
    `dim * sizeof(value)` bytes), so either implementation loads the other's
    files; string keys and string elements get a 4-byte length prefix each
    (TFRA 0.8 wrote raw in-memory string objects that nothing can read back).
    The files go through TensorFlow's file systems (local paths, `file://`,
    `s3://` or `hdfs://` with tensorflow-io), under temporary names renamed
    when complete.

    Example:
      >>> table.save_to_file_system("/tmp/emb_files")  # emb-keys, emb-values

    Args:
      dirpath: the folder; the env var named `dirpath_env` overrides it when
        set to a non-empty value.
      file_name: base name of the two files; by default the table's name.
      dirpath_env: name of the env var that overrides `dirpath`.
      append_to_file: append to existing files instead of replacing them.
      buffer_size: rows per file write (memory use is one buffer).
      name: optional op name.

    Returns:
      The save op (in eager mode it has run).
    """
    return self._file_system_op(
        redis_table_ops.ops.tfra_redis_table_save_to_file_system, "save",
        dirpath, file_name, name, dirpath_env=dirpath_env,
        append_to_file=append_to_file, buffer_size=buffer_size)

  def load_from_file_system(self,
                            dirpath,
                            file_name=None,
                            dirpath_env="TFRA_SAVED_KV",
                            load_entire_dir=False,
                            buffer_size=4194304,
                            name=None):
    """Upserts the rows of files written by `save_to_file_system`.

    Both files are checked before anything is written: files of different
    lengths (or not a whole number of rows) fail with `InvalidArgumentError`.

    Args:
      dirpath: the folder; the env var named `dirpath_env` overrides it when
        set to a non-empty value.
      file_name: base name of the two files; by default the table's name.
      dirpath_env: name of the env var that overrides `dirpath`.
      load_entire_dir: load every saved table in the folder whose name
        starts with `file_name` up to its last "_mht_" (all shards and ranks
        of a Variable); a name without "_mht_" loads itself and
        `<file_name>_mht_*`.
      buffer_size: rows per insert.
      name: optional op name.

    Returns:
      The load op (in eager mode it has run).

    Raises:
      NotFoundError: a file is missing (in eager mode; graph mode raises
        when the op runs).
    """
    return self._file_system_op(
        redis_table_ops.ops.tfra_redis_table_load_from_file_system, "load",
        dirpath, file_name, name, dirpath_env=dirpath_env,
        load_entire_dir=load_entire_dir, buffer_size=buffer_size)

  def _file_system_op(self, op, verb, dirpath, file_name, name, **attrs):
    with self._op_scope(name or "%s_%s_file_system" % (self._name, verb)):
      return op(self.resource_handle,
                dirpath=tf.convert_to_tensor(dirpath, tf.string),
                file_name=tf.convert_to_tensor(file_name or self._name,
                                               tf.string),
                key_dtype=self._key_dtype,
                value_dtype=self._value_dtype,
                **attrs)

  def _serialize_to_tensors(self):
    """Checkpoint save: rows (mode 0), DUMP files + no rows (1), nothing (2).

    Eagerly the export is deferred to the save itself (`SaveSpec`s with
    callables): TF also calls this method when it *restores*, to learn the
    entries' names and dtypes, and running the export then would rewrite the
    mode-1 DUMP files with the current rows just before reading them back
    (and scan the whole table for nothing in mode 0). Traced (SavedModel, TF1
    graphs) the export op only runs when the save op does.
    """
    if not self._checkpoint:
      return {}
    if not context.executing_eagerly():
      keys, values = self._checkpoint_export()
      return {"table-keys": keys, "table-values": values}
    # The resource's full device (job and task too): a saver whose entries
    # name more than one task restores in a tf.function, where Keras 3
    # cannot restore variables of a tf.distribute strategy.
    return _deferred_export_specs(self._checkpoint_export, self._key_dtype,
                                  self._value_dtype,
                                  self.resource_handle.device)

  def _checkpoint_export(self):
    with ops.colocate_with(self.resource_handle):
      return redis_table_ops.ops.tfra_redis_table_export(
          self.resource_handle, self._key_dtype, self._value_dtype)

  def _gather_saveables_for_checkpoint(self):
    """What `tf.compat.v1.train.Saver(var_list=[table])` saves: the rows,
    named as upstream's (see table_saveables.py). TF2 checkpoints use
    `_serialize_to_tensors`."""
    return table_saveables.tf1_saver_entries(self)

  def _restore_from_tensors(self, restored_tensors):
    """Checkpoint restore: afterwards the table holds exactly what was saved."""
    if not restored_tensors:  # A table with checkpoint=False saved nothing.
      return tf.no_op()
    with self._op_scope("%s_table_restore" % self._name):
      return redis_table_ops.ops.tfra_redis_table_import(
          self.resource_handle, restored_tensors["table-keys"],
          restored_tensors["table-values"])


@contextlib.contextmanager
def _graph_op_scope(name, resource_handle):
  with tf.name_scope(name), ops.colocate_with(resource_handle):
    yield


def _deferred_export_specs(export, key_dtype, value_dtype, device):
  """`table-keys` / `table-values` SaveSpecs that run `export` when saved.

  One export serves both entries of a save; an entry asked for a second time
  starts a fresh export (a later save reusing the specs).
  """
  state = {"rows": None, "taken": set()}

  def entry(index, name):

    def tensor():
      if state["rows"] is None or name in state["taken"]:
        state["rows"], state["taken"] = export(), set()
      state["taken"].add(name)
      return state["rows"][index]

    return tensor

  return {
      name: saveable_object.SaveSpec(entry(i, name), "", name, dtype=dtype,
                                     device=device)
      for i, (name, dtype) in enumerate([("table-keys", key_dtype),
                                         ("table-values", value_dtype)])
  }


def redis_hash_slot(keys, name=None):
  """Redis Cluster hash slot of each key (CRC16 of its hash tag, mod 16384).

  Shows which cluster slot, hence which node, a table bucket such as
  `"test:emb{3560}"` lives on.

  Example:
    >>> redis_hash_slot(["test:emb{3560}", "foo"]).numpy()
    array([    0, 12182], dtype=int32)

  Args:
    keys: string tensor (any shape) of Redis key names.
    name: optional op name.

  Returns:
    int32 tensor of the same shape as `keys`.
  """
  with tf.name_scope(name or "redis_hash_slot"):
    keys = tf.convert_to_tensor(keys, dtype=tf.string)
    return redis_table_ops.ops.tfra_redis_hash_slot(keys)


def hmaccum_module_path():
  """Path of `hmaccum.so`, the HMACCUM Redis module this package ships.

  The module runs inside redis-server, not TensorFlow: load it into every
  data node (`loadmodule <path>` in redis.conf, or `MODULE LOAD <path>`), and
  tables add `accum` deltas inside Redis on those nodes instead of reading
  and writing every row. Without it `accum` works as before. See
  docs/hmaccum_module.md.

  Example:
    $ redis-server --loadmodule "$(python -c 'from tensorflow_recommenders_addons.dynamic_embedding.python.ops import redis_table_ops as r; print(r.hmaccum_module_path())')"

  Returns:
    The absolute path of the file.

  Raises:
    FileNotFoundError: the package was built without it.
  """
  path = resource_loader.get_path_to_datafile(_HMACCUM_MODULE)
  if not os.path.exists(path):
    raise FileNotFoundError(
        "%s is missing: build it with `bazel build //tensorflow_recommenders_"
        "addons/dynamic_embedding/core/redis_module:hmaccum.so` or install "
        "the wheel" % path)
  return path

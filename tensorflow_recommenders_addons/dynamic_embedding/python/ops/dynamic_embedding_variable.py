"""`de.Variable`: an embedding table without a fixed vocabulary.

Rows live in key-value tables made by a `KVCreator` (in-process by default,
Redis with `RedisTableCreator`), one table per entry of `devices`; keys are
split over the tables by a partition function. `get_variable` adds TF1-style
variable-scope naming and reuse.
"""

import inspect

import tensorflow as tf

from tensorflow_recommenders_addons.dynamic_embedding.python.ops import default_rows
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import dynamic_embedding_creator
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import embedding_weights
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import sharding
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import variable_file_system

default_partition_fn = sharding.default_partition_fn

_ALLOWED_VALUE_DTYPES = {
    tf.int64: (tf.float32, tf.float16, tf.bfloat16, tf.int32, tf.int8,
               tf.int64, tf.float64, tf.string),
    tf.int32: (tf.float32, tf.int32, tf.float64, tf.bfloat16),
    tf.string: (tf.float32, tf.float16, tf.bfloat16, tf.int32, tf.int8,
                tf.int64, tf.float64, tf.bool),
}

# Graph collection holding the {full name: Variable} store of `get_variable`;
# `tf.compat.v1.reset_default_graph()` (Keras' clear_session) empties it.
_STORE_COLLECTION = "__tfra_dynamic_embedding_variable_store"


class Variable(tf.__internal__.tracking.Trackable):
  """A sharded key -> row table that grows as new keys are trained.

  Lookups never write: absent keys read default rows made by `initializer`.
  Training writes rows back through a `DynamicEmbeddingOptimizer`. In
  checkpoints the variable is a node whose child `tables_of_<name>` lists the
  shard tables (entries `table-keys` / `table-values`).

  Example:
    >>> var = de.Variable(dim=2, name="v", initializer=1.0)
    >>> var.upsert(tf.constant([3], tf.int64), tf.constant([[5., 6.]]))
    >>> var.lookup(tf.constant([3, 4], tf.int64)).numpy()
    array([[5., 6.], [1., 1.]], dtype=float32)

  Not thread-safe to construct; its ops are as thread-safe as its tables.
  """

  def __init__(self,
               key_dtype=tf.int64,
               value_dtype=tf.float32,
               dim=1,
               devices=None,
               partitioner=default_partition_fn,
               shared_name=None,
               name="DynamicEmbedding_Variable",
               initializer=None,
               trainable=True,
               checkpoint=True,
               init_size=0,
               kv_creator=None,
               restrict_policy=None,
               bp_v2=False,
               short_file_name=False):
    """Creates the variable and its (empty) shard tables.

    Args:
      key_dtype: int32, int64 or string.
      value_dtype: value type; see `_ALLOWED_VALUE_DTYPES`.
      dim: row width.
      devices: device strings, one shard table each (None: `["/CPU:0"]`).
      partitioner: `fn(keys, shard_num) -> int32 shard ids`.
      shared_name: kept for API compatibility.
      name: variable name; shards are `<name, "/"->"_">_mht_<i>of<n>`.
      initializer: rows of absent keys, see `default_rows.RowInitializer`.
      trainable: False makes optimizers leave the variable alone.
      checkpoint: passed to every table.
      init_size: capacity hint, split evenly over shards.
      kv_creator: a `KVCreator` (None: `CuckooHashTableCreator()`).
      restrict_policy: must be None (restrict policies are not implemented).
      bp_v2: optimizers write back deltas (`accum`) instead of rows.
      short_file_name: slot variables are named `<name>/<slot>`.

    Raises:
      TypeError: unsupported dtypes or a creator that is not a `KVCreator`.
      ValueError: `dim` < 1 or an initializer that cannot make rows.
      NotImplementedError: a restrict policy was given.
    """
    self.key_dtype = tf.as_dtype(key_dtype)
    self.value_dtype = tf.as_dtype(value_dtype)
    _check_dtypes(self.key_dtype, self.value_dtype)
    self.dim = int(dim)
    if self.dim < 1:
      raise ValueError("dim must be >= 1, got %r" % (dim,))
    if devices is None:
      devices = ["/CPU:0"]
    self.devices = list(devices) if isinstance(devices,
                                               (list, tuple)) else [devices]
    self.shard_num = len(self.devices)
    self.partition_fn = partitioner
    self.name = name
    self.shared_name = shared_name or "shared_name.%s" % name
    self.initializer = initializer
    self.trainable = bool(trainable)
    self.checkpoint = checkpoint
    self.init_size = init_size
    self.kv_creator = dynamic_embedding_creator.check_creator(kv_creator)
    if restrict_policy is not None:
      raise NotImplementedError("restrict policies are not implemented yet")
    self.restrict_policy = None
    self.bp_v2 = bool(bp_v2)
    self.short_file_name = bool(short_file_name)
    self.trainable_store = {}
    with tf.init_scope():  # Tables outlive any tf.function tracing this.
      self._rows = default_rows.RowInitializer(initializer, self.dim,
                                               self.value_dtype)
      self._tables = [self._create_table(i) for i in range(self.shard_num)]
    self._track_trackable(tf.__internal__.tracking.wrap(list(self._tables)),
                          name="tables_of_%s" % name)
    if self._rows.state is not None:
      self._track_trackable(self._rows.state, name="default_rows_state")

  def _create_table(self, index):
    table_name = "%s_mht_%dof%d" % (self.name.replace("/", "_"), index + 1,
                                    self.shard_num)
    device = self.devices[index]
    with tf.device(device):
      return self.kv_creator.create(
          key_dtype=self.key_dtype,
          value_dtype=self.value_dtype,
          default_value=self._rows.default_row(),
          name=table_name,
          checkpoint=self.checkpoint,
          init_size=int(self.init_size / self.shard_num),
          device=device)

  @property
  def tables(self):
    """The shard tables (`KVTable`s), in shard order."""
    return list(self._tables)

  def lookup(self, keys, return_exists=False, name=None,
             dynamic_defaults=True):
    """Rows of `keys` (any shape); absent keys get initializer rows.

    Args:
      keys: ids of `key_dtype`, any shape.
      return_exists: also return where the keys were found.
      name: op name.
      dynamic_defaults: True (training): each absent key gets a fresh
        initializer row. False (inference): absent keys get the table's fixed
        default row, so predictions are deterministic and equal in every
        process that serves the same model.

    Returns:
      `keys.shape + [dim]` values, plus bool `exists` shaped like `keys` when
      `return_exists`.
    """
    with tf.name_scope(name or "%s_lookup" % self._scope_name):
      keys = self._checked_keys(keys)
      flat = tf.reshape(keys, [-1])
      if dynamic_defaults:
        results = self._per_shard(
            flat, [self._rows.rows(tf.size(flat))],
            lambda t, k, d: t.lookup(k, dynamic_default_values=d,
                                     return_exists=return_exists),
            stitch=True)
      else:
        results = self._per_shard(
            flat, [], lambda t, k: t.lookup(k, return_exists=return_exists),
            stitch=True)
      values, exists = results if return_exists else (results, None)
      shape = tf.concat([tf.shape(keys), [self.dim]], 0)
      values = tf.reshape(values, shape)
      values.set_shape(keys.shape.concatenate([self.dim]))
      if not return_exists:
        return values
      return values, tf.reshape(exists, tf.shape(keys))

  def upsert(self, keys, values, name=None):
    """Inserts or overwrites rows: `values` is `keys.shape + [dim]`."""
    with tf.name_scope(name or "%s_upsert" % self._scope_name):
      keys = self._checked_keys(keys)
      values = self._checked_values(keys, values)
      flat = tf.reshape(keys, [-1])
      return self._per_shard(flat, [tf.reshape(values, [-1, self.dim])],
                             lambda t, k, v: t.insert(k, v))

  def accum(self, keys, old_values, new_values, exists, name=None):
    """Adds `new_values - old_values` to existing rows, inserts new ones.

    Args:
      keys: keys, any shape `S`.
      old_values: `S + [dim]` rows as read before an update.
      new_values: `S + [dim]` rows after it.
      exists: bool `S`, whether each key was in the table when read.
      name: optional name scope.
    """
    with tf.name_scope(name or "%s_accum" % self._scope_name):
      keys = self._checked_keys(keys)
      old_values = self._checked_values(keys, old_values)
      new_values = self._checked_values(keys, new_values)
      flat = tf.reshape(keys, [-1])
      exists = tf.reshape(tf.convert_to_tensor(exists, tf.bool), [-1])
      new_rows = tf.reshape(new_values, [-1, self.dim])
      deltas = tf.where(exists[:, None],
                        new_rows - tf.reshape(old_values, [-1, self.dim]),
                        new_rows)
      return self._per_shard(flat, [deltas, exists],
                             lambda t, k, d, e: t.accum(k, d, e))

  def remove(self, keys, name=None):
    """Removes `keys` (any shape); absent keys are ignored."""
    with tf.name_scope(name or "%s_remove" % self._scope_name):
      flat = tf.reshape(self._checked_keys(keys), [-1])
      return self._per_shard(flat, [], lambda t, k: t.remove(k))

  def _distinct_storage_tables(self):
    """One table per storage: shards sharing rows (Redis) count once."""
    seen = set()
    tables = []
    for table in self._tables:
      storage = table.storage_id
      if storage is None or storage not in seen:
        tables.append(table)
        if storage is not None:
          seen.add(storage)
    return tables

  def _after_shared_shard_ops(self):
    """Orders a whole-table read after earlier ops on every shard's handle.

    Shards sharing storage are read through one of them, but in a graph or a
    `tf.function` TensorFlow orders stateful ops only per resource handle, so
    without this a `size()` read through shard 0 could run before an `accum`
    made through shard 1. One size op per other sharing shard is ordered
    after that shard's ops; reading under them sees every earlier write.
    Eagerly ops run in program order, and nothing is added.
    """
    if tf.executing_eagerly():
      return tf.control_dependencies(None)
    distinct = {id(t) for t in self._distinct_storage_tables()}
    return tf.control_dependencies([
        t.size() for t in self._tables
        if id(t) not in distinct and t.storage_id is not None
    ])

  def clear(self, name=None):
    """Removes every row of every shard."""
    with tf.name_scope(name or "%s_clear" % self._scope_name):
      return tf.group(*[t.clear() for t in self._distinct_storage_tables()])

  def export(self, name=None):
    """All rows: `(keys [M], values [M, dim])`, each key once."""
    with tf.name_scope(name or "%s_export" % self._scope_name), \
        self._after_shared_shard_ops():
      exports = [t.export() for t in self._distinct_storage_tables()]
      return (tf.concat([k for k, _ in exports], 0),
              tf.concat([v for _, v in exports], 0))

  def size(self, index=None, name=None):
    """Row count (int64) of all shards (each key once), or of shard `index`.

    With shards that share storage (Redis), shard `index` reports the rows of
    the whole shared table.
    """
    with tf.name_scope(name or "%s_size" % self._scope_name), \
        self._after_shared_shard_ops():
      if index is not None:
        return self._tables[index].size()
      return tf.add_n([tf.cast(t.size(), tf.int64)
                       for t in self._distinct_storage_tables()])

  def embedding_lookup(self, ids, name=None, max_norm=None,
                       return_trainable=False):
    """Trainable lookup of `ids`; see `de.embedding_lookup`."""
    return embedding_weights.trainable_lookup(self, ids, name=name,
                                              max_norm=max_norm,
                                              return_trainable=return_trainable)

  def get_trainable_by_name(self, name):
    """The `TrainableWrapper` created by lookups named `name`, or None."""
    return self.trainable_store.get(name)

  def get_slot_variables(self, optimizer):
    """Slot variables `optimizer` keeps for this variable's wrappers.

    Raises:
      TypeError: `optimizer` is not a Keras optimizer.
    """
    import keras  # pylint: disable=g-import-not-at-top
    if not isinstance(optimizer, keras.optimizers.Optimizer):
      raise TypeError("expected a Keras optimizer, got %r" % (optimizer,))
    slots_of = getattr(optimizer, "get_slot_wrappers", None)
    if slots_of is None:
      return []
    return [slot.params for wrapper in self.trainable_store.values()
            for slot in slots_of(wrapper)]

  def restrict(self, num_reserved, **kwargs):
    """Upstream's size restriction; without a restrict policy a no-op."""
    del num_reserved, kwargs
    tf.get_logger().warning("%s has no restrict policy", self.name)

  def save_to_file_system(self,
                          dirpath,
                          proc_size=1,
                          proc_rank=0,
                          file_name_list=None,
                          dirpath_env="TFRA_SAVED_KV",
                          append_to_file=False,
                          buffer_size=4194304,
                          name=None):
    """Writes every row to key/value files, one pair per shard.

    Shard i's files, `<table name with _mht_XofY -> _mht_<i+1>of<n>_rank<r>
    _size<s>>-keys` / `-values` (TFRA 0.8's names and numeric byte layout),
    hold the rows whose keys map to shard i, each row once, on every backend
    (TFRA 0.8 wrote a shared Redis table whole into every shard's files).
    See `variable_file_system`.

    Example:
      >>> var.save_to_file_system("/tmp/kv")  # emb_mht_1of1_rank0_size1-keys
      >>> fresh.load_from_file_system("/tmp/kv")

    Args:
      dirpath: the folder; the env var named `dirpath_env`, when set to a
        non-empty value, overrides it. Any TensorFlow file system.
      proc_size: number of processes (e.g. Horovod) saving this variable.
      proc_rank: rank of this process; with `proc_size` part of the names.
      file_name_list: one file name per shard instead of the default names.
      dirpath_env: name of the env var that overrides `dirpath`.
      append_to_file: append to existing files instead of replacing them.
      buffer_size: rows per write.
      name: optional name scope.

    Returns:
      An op that saves every shard (eagerly None: it has run).

    Raises:
      ValueError: `file_name_list` does not hold one name per shard.
    """
    names = variable_file_system.shard_file_names(self, proc_size, proc_rank,
                                                  file_name_list)
    with tf.name_scope(name or "%s_save_to_file_system" % self._scope_name):
      return variable_file_system.save(self, dirpath, names, dirpath_env,
                                       append_to_file, buffer_size)

  def load_from_file_system(self,
                            dirpath,
                            proc_size=1,
                            proc_rank=0,
                            file_name_list=None,
                            dirpath_env="TFRA_SAVED_KV",
                            load_entire_dir=False,
                            buffer_size=4194304,
                            name=None):
    """Upserts the rows of files written by `save_to_file_system`.

    Every shard's files are read; each row goes to the shard its key maps
    to, so files of either backend or of TFRA 0.8 load.

    Args:
      dirpath: the folder; the env var named `dirpath_env`, when set to a
        non-empty value, overrides it.
      proc_size: number of processes that saved (part of the file names).
      proc_rank: rank whose files to load (part of the file names).
      file_name_list: one file name per shard instead of the default names.
      dirpath_env: name of the env var that overrides `dirpath`.
      load_entire_dir: load every saved file pair of this variable in the
        folder (all shard counts, ranks and sizes: names that share the
        shard's file name up to its last "_mht_").
      buffer_size: rows per insert (tables with file ops of their own).
      name: optional name scope.

    Returns:
      An op that loads every shard (eagerly None: it has run).

    Raises:
      ValueError: `file_name_list` does not hold one name per shard.
      NotFoundError: a file is missing (eagerly; in a graph when run).
      InvalidArgumentError: a keys file and its values file disagree.
    """
    names = variable_file_system.shard_file_names(self, proc_size, proc_rank,
                                                  file_name_list)
    with tf.name_scope(name or "%s_load_from_file_system" % self._scope_name):
      return variable_file_system.load(self, dirpath, names, dirpath_env,
                                       load_entire_dir, buffer_size)

  @property
  def _scope_name(self):
    return self.name.replace("/", "_")

  def _checked_keys(self, keys):
    if isinstance(keys, (tf.Tensor, tf.Variable)) and (keys.dtype !=
                                                       self.key_dtype):
      raise TypeError("%s: keys must be %s, got %s" %
                      (self.name, self.key_dtype.name, keys.dtype.name))
    return tf.convert_to_tensor(keys, self.key_dtype)

  def _checked_values(self, keys, values):
    if isinstance(values, (tf.Tensor, tf.Variable)) and (values.dtype !=
                                                         self.value_dtype):
      raise TypeError("%s: values must be %s, got %s" %
                      (self.name, self.value_dtype.name, values.dtype.name))
    values = tf.convert_to_tensor(values, self.value_dtype)
    expected = keys.shape.concatenate([self.dim])
    if not values.shape.is_compatible_with(expected):
      raise ValueError("%s: values must have shape %s (keys + [dim]), got %s" %
                       (self.name, expected, values.shape))
    return values

  def _per_shard(self, flat_keys, aligned, table_fn, stitch=False):
    return sharding.per_shard(self._tables, self.devices, self.partition_fn,
                              flat_keys, aligned, table_fn, stitch)


def _check_dtypes(key_dtype, value_dtype):
  allowed = _ALLOWED_VALUE_DTYPES.get(key_dtype)
  if allowed is None or value_dtype not in allowed:
    raise TypeError("unsupported key/value dtypes %s -> %s" %
                    (key_dtype.name, value_dtype.name))


def _variable_store():
  """The {full name: Variable} dict of the outermost default graph."""
  with tf.init_scope():
    store = tf.compat.v1.get_default_graph().get_collection_ref(
        _STORE_COLLECTION)
  if not store:
    store.append({})
  return store[0]


def get_variable_by_full_name(full_name, reuse=tf.compat.v1.AUTO_REUSE,
                              **kwargs):
  """Returns the stored variable `full_name`, or creates and stores it.

  Args:
    full_name: the variable's complete name (no scope is prepended).
    reuse: False makes an existing name an error; True / AUTO_REUSE return it.
    **kwargs: `Variable` arguments other than `name`.

  Raises:
    ValueError: the name exists and `reuse` is False, or the existing variable
      has other dtypes or dim.
  """
  store = _variable_store()
  existing = store.get(full_name)
  if existing is None:
    store[full_name] = Variable(name=full_name, **kwargs)
    return store[full_name]
  if reuse is not True and reuse != tf.compat.v1.AUTO_REUSE:
    raise ValueError(
        "Variable %s already exists, disallowed. Did you mean to set "
        "reuse=True or reuse=tf.AUTO_REUSE in VarScope?" % full_name)
  for attr in ("key_dtype", "value_dtype", "dim"):
    if attr in kwargs and getattr(existing, attr) != kwargs[attr]:
      raise ValueError("Variable %s exists with %s=%r, requested %r" %
                       (full_name, attr, getattr(existing, attr), kwargs[attr]))
  return existing


def _get_variable_signature():
  """`Variable`'s signature with `name` first and required, as upstream's
  `get_variable` has it, and `shared_name` defaulting to "get_variable".

  Derived rather than restated, so the two functions cannot drift apart.
  """
  parameters = [
      p.replace(default="get_variable") if p.name == "shared_name" else p
      for p in inspect.signature(Variable.__init__).parameters.values()
      if p.name not in ("self", "name")
  ]
  name = inspect.Parameter("name", inspect.Parameter.POSITIONAL_OR_KEYWORD)
  return inspect.Signature([name] + parameters)


_GET_VARIABLE_SIGNATURE = _get_variable_signature()


def get_variable(*args, **kwargs):
  """Gets or creates a `Variable` named `<variable scope>/<name>`.

  Signature: `get_variable(name, key_dtype=tf.int64, ...)`, the arguments of
  `Variable` in the same order and with the same defaults, except that `name`
  comes first and is required and `shared_name` defaults to "get_variable".
  See `Variable.__init__` for what each one means; `short_file_name` also
  drops the scope prefix.

  Reuse follows `tf.compat.v1.variable_scope`: in a graph, an existing name
  under `reuse=False` raises; eagerly and inside `tf.function` scopes always
  reuse (AUTO_REUSE). The store lives with the default graph, so Keras'
  `clear_session()` forgets every variable.

  Example:
    >>> with tf.compat.v1.variable_scope("user"):
    ...   emb = de.get_variable("emb", dim=8)
    >>> emb.name
    'user/emb'

  Raises:
    TypeError: arguments that do not fit the signature.
    ValueError: the name exists in a non-reusing scope, or exists with other
      dtypes or dim.
  """
  arguments = _GET_VARIABLE_SIGNATURE.bind(*args, **kwargs)
  arguments.apply_defaults()
  kwargs = dict(arguments.arguments)
  name = kwargs.pop("name")
  scope = tf.compat.v1.get_variable_scope()
  full_name = name if kwargs["short_file_name"] or not scope.name else (
      "%s/%s" % (scope.name, name))
  reuse = scope.reuse
  if tf.executing_eagerly() or tf.inside_function():
    reuse = tf.compat.v1.AUTO_REUSE
  kwargs.update(key_dtype=tf.as_dtype(kwargs["key_dtype"]),
                value_dtype=tf.as_dtype(kwargs["value_dtype"]),
                dim=int(kwargs["dim"]))
  return get_variable_by_full_name(full_name, reuse=reuse, **kwargs)


get_variable.__signature__ = _GET_VARIABLE_SIGNATURE

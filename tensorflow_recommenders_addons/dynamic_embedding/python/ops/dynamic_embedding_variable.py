"""`de.Variable`: an embedding table without a fixed vocabulary.

Rows live in key-value tables made by a `KVCreator` (in-process by default,
Redis with `RedisTableCreator`), one table per entry of `devices`; keys are
split over the tables by a partition function. `get_variable` adds TF1-style
variable-scope naming and reuse (its store: `variable_store`).
"""

import contextlib

import tensorflow as tf

from tensorflow_recommenders_addons.dynamic_embedding.python.ops import default_rows
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import dynamic_embedding_creator
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import embedding_weights
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import file_system_saver
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import restrict_policies
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import sharding
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import table_saveables
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import variable_file_system
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import variable_inputs
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import variable_store
# Upstream defines GraphKeys in this module; scripts import it from here.
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.graph_keys import GraphKeys  # pylint: disable=unused-import

default_partition_fn = sharding.default_partition_fn

_ALLOWED_VALUE_DTYPES = {
    tf.int64: (tf.float32, tf.float16, tf.bfloat16, tf.int32, tf.int8,
               tf.int64, tf.float64, tf.string),
    tf.int32: (tf.float32, tf.int32, tf.float64, tf.bfloat16),
    tf.string: (tf.float32, tf.float16, tf.bfloat16, tf.int32, tf.int8,
                tf.int64, tf.float64, tf.bool),
}

class Variable(tf.__internal__.tracking.Trackable,
               variable_file_system.FileSystemMethods):
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
      restrict_policy: None, or a `RestrictPolicy` subclass (e.g.
        `de.FrequencyRestrictPolicy`) that keeps a status per key and lets
        `restrict()` bound the variable and its slots.
      bp_v2: optimizers write back deltas (`accum`) instead of rows.
      short_file_name: slot variables are named `<name>/<slot>`.

    Raises:
      TypeError: unsupported dtypes, a creator that is not a `KVCreator`, or
        a restrict policy that is not a `RestrictPolicy` subclass.
      ValueError: `dim` < 1 or an initializer that cannot make rows.
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
    if file_system_saver.saver_of(self) is not None:
      file_system_saver.ensure_registered()  # Files replace table entries.
    policy_class = restrict_policies.check_policy_class(restrict_policy)
    self.bp_v2 = bool(bp_v2)
    self.short_file_name = bool(short_file_name)
    self.trainable_store = {}
    with tf.init_scope():  # Tables outlive any tf.function tracing this.
      self._rows = default_rows.RowInitializer(initializer, self.dim,
                                               self.value_dtype)
      # Graph op names as upstream's: "<last name part>/<table name>".
      with tf.name_scope(self.name.split("/")[-1]):
        self._tables = [self._create_table(i) for i in range(self.shard_num)]
      self._tf1_saveables = table_saveables.graph_saveables(
          self._tables, checkpoint and file_system_saver.saver_of(self) is None)
    self._track_trackable(tf.__internal__.tracking.wrap(list(self._tables)),
                          name="tables_of_%s" % name)
    if self._rows.state is not None:
      self._track_trackable(self._rows.state, name="default_rows_state")
    # After the tables: the policy's status variable copies their settings.
    self._restrict_policy = policy_class(self) if policy_class else None
    if self._restrict_policy is not None:
      status = self._restrict_policy.status
      self._track_trackable(status, name=status.name)

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
          checkpoint=self.checkpoint and (
              file_system_saver.saver_of(self) is None),
          init_size=int(self.init_size / self.shard_num),
          device=device)

  @property
  def tables(self):
    """The shard tables (`KVTable`s), in shard order."""
    return list(self._tables)

  def _serialize_to_tensors(self):
    """Nothing of its own: TF2 checkpoints save each table as a child."""
    return {}

  def _restore_from_tensors(self, restored_tensors):
    """Nothing to restore (the tables restore as children); SavedModel
    saving traces this for every object that serializes."""
    del restored_tensors
    return tf.no_op()

  def _gather_saveables_for_checkpoint(self):
    """What `tf.compat.v1.train.Saver(var_list=[..., variable])` saves: the
    tables, under upstream's names (see table_saveables.py). TF2 checkpoints
    use `_serialize_to_tensors` instead."""
    return {saveable.name: saveable for saveable in self._tf1_saveables}

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
    # The hot path of every step: it adds as few ops as it can to the
    # table's own (see _scope and _flat_keys); a random initializer draws
    # rows for the absent keys only.
    with self._scope(name, "lookup"):
      keys = self._checked_keys(keys)
      flat = _flat_keys(keys)
      fresh = dynamic_defaults and self._rows.is_random
      with_exists = return_exists or fresh
      results = self._per_shard(
          flat, [], lambda t, k: t.lookup(k, return_exists=with_exists),
          stitch=True)
      values, exists = results if with_exists else (results, None)
      if fresh:
        values = self._rows.fill_absent(values, exists)
      values = _unflat(values, keys, [self.dim])
      if not tf.executing_eagerly():
        # The table ops' shape functions may not know the rank (Redis
        # tables); layers after a lookup need it. No op is added.
        values.set_shape(keys.shape.concatenate([self.dim]))
      if not return_exists:
        return values
      return values, _unflat(exists, keys, [])

  def upsert(self, keys, values, name=None):
    """Inserts or overwrites rows: `values` is `keys.shape + [dim]`."""
    with self._scope(name, "upsert"):
      keys = self._checked_keys(keys)
      values = self._checked_values(keys, values)
      return self._per_shard(_flat_keys(keys), [_flat_rows(values, self.dim)],
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
    with self._scope(name, "accum"):
      keys = self._checked_keys(keys)
      old_values = self._checked_values(keys, old_values)
      new_values = self._checked_values(keys, new_values)
      flat = _flat_keys(keys)
      exists = _flat_keys(tf.convert_to_tensor(exists, tf.bool))
      new_rows = _flat_rows(new_values, self.dim)
      deltas = tf.where(exists[:, None],
                        new_rows - _flat_rows(old_values, self.dim),
                        new_rows)
      return self._per_shard(flat, [deltas, exists],
                             lambda t, k, d, e: t.accum(k, d, e))

  def remove(self, keys, name=None):
    """Removes `keys` (any shape); absent keys are ignored."""
    with self._scope(name, "remove"):
      flat = _flat_keys(self._checked_keys(keys))
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
    """Slot variables `optimizer` keeps for this variable's wrappers (none
    unless `DynamicEmbeddingOptimizer` wrapped it).

    Raises:
      TypeError: `optimizer` is not an optimizer.
    """
    slots_of = getattr(optimizer, "get_slot_wrappers", None)
    if slots_of is None:
      if not callable(getattr(optimizer, "apply_gradients", None)):
        raise TypeError("expected an optimizer, got %r" % (optimizer,))
      return []
    return [slot.params for wrapper in self.trainable_store.values()
            for slot in slots_of(wrapper)]

  @property
  def restrict_policy(self):
    """The `RestrictPolicy` instance, or None."""
    return self._restrict_policy

  def restrict(self, num_reserved, **kwargs):
    """Bounds the variable (and its slots and status) by its restrict policy.

    See `RestrictPolicy.apply_restriction`. Example:
      >>> var.restrict(100000, trigger=120000)

    Args:
      num_reserved: int, keys to keep.
      **kwargs: `trigger` (int): restrict only above this size.

    Returns:
      The restriction op (eagerly it has run), or None (with a warning)
      when the variable has no restrict policy, as upstream.
    """
    if self._restrict_policy is None:
      tf.get_logger().warning("Call restrict without setting restrict "
                              "policy (%s).", self.name)
      return None
    return self._restrict_policy.apply_restriction(num_reserved, **kwargs)

  @property
  def _scope_name(self):
    return self.name.replace("/", "_")

  def _scope(self, name, verb):
    """The ops' name scope in graphs; none eagerly, where it only costs
    time (eager ops have no names to scope)."""
    if tf.executing_eagerly():
      return contextlib.nullcontext()
    return tf.name_scope(name or "%s_%s" % (self._scope_name, verb))

  def _checked_keys(self, keys):
    return variable_inputs.checked_dtype(self.name, "keys", keys,
                                         self.key_dtype)

  def _checked_values(self, keys, values):
    return variable_inputs.checked_values(self.name, keys, values,
                                          self.value_dtype, self.dim)

  def _per_shard(self, flat_keys, aligned, table_fn, stitch=False):
    return sharding.per_shard(self._tables, self.devices, self.partition_fn,
                              flat_keys, aligned, table_fn, stitch)


def _flat_keys(tensor):
  """`tensor` as a vector; a vector passes with no op (the usual case)."""
  if tensor.shape.rank == 1:
    return tensor
  return tf.reshape(tensor, [-1])


def _flat_rows(values, dim):
  """`values` (`S + [dim]`) as `[N, dim]`, with no op when it is one."""
  if values.shape.rank == 2:
    return values
  return tf.reshape(values, [-1, dim])


def _unflat(flat, keys, row_shape):
  """`flat` (`[N] + row_shape`, N = keys' size) shaped `keys.shape +
  row_shape`: no op for vector keys, one reshape to a static shape when it
  is known (always eagerly), else a shape computed in the graph."""
  if keys.shape.rank == 1:
    return flat
  if keys.shape.is_fully_defined():
    return tf.reshape(flat, keys.shape.as_list() + row_shape)
  shape = tf.shape(keys)
  if row_shape:
    shape = tf.concat([shape, row_shape], 0)
  result = tf.reshape(flat, shape)
  result.set_shape(keys.shape.concatenate(row_shape))
  return result


def _check_dtypes(key_dtype, value_dtype):
  allowed = _ALLOWED_VALUE_DTYPES.get(key_dtype)
  if allowed is None or value_dtype not in allowed:
    raise TypeError("unsupported key/value dtypes %s -> %s" %
                    (key_dtype.name, value_dtype.name))


def get_variable_by_full_name(full_name, reuse=tf.compat.v1.AUTO_REUSE,
                              **kwargs):
  """Returns the stored `Variable` `full_name`, or creates and stores it.

  See `variable_store.get_or_create`; optimizers name their slot variables
  this way, with no scope prepended.
  """
  return variable_store.get_or_create(Variable, full_name, reuse, **kwargs)


get_variable = variable_store.make_get_variable(Variable)

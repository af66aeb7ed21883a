"""Trainable rows under a `tf.distribute` strategy: one update per row.

Under a strategy whose replicas run in sync (`MirroredStrategy`,
`MultiWorkerMirroredStrategy`) every replica looks up its own part of the
global batch into its own copy of each `TrainableWrapper` (the wrapper's
variables are created under `strategy.scope()`, so each replica has a
component of its own; `local` picks it). Writing those copies back as they
are would apply each replica's gradient to the same Redis row separately:
last writer wins with upserts, and even adding deltas (`accum`) is exact only
for SGD, since Adagrad's accumulator needs `(g1 + g2)**2`, not
`g1**2 + g2**2`, and Adam's moments likewise.

So at apply time the replicas merge instead (`merge_owned_rows`): they
all-gather each wrapper's ids, gradient rows and looked-up rows; every
replica sums the gradients of each distinct id and keeps the ids it *owns*
(`sharding.default_partition_fn(id, replicas) == replica id`). The owner
alone fills the slot rows of its ids, runs the optimizer on them
(`update_owned`) and writes rows and slots back. Each row and slot row thus
receives the sum of every replica's gradient exactly once per step, for every
optimizer, and the Redis writes are spread over the replicas. A barrier (an
all-reduce ordered after the writes, `barrier_after`) ends the step, so no
replica's next lookup can read a row another replica has yet to write.

Rows of a new id start from the first replica's (in replica order) looked-up
row: replicas that met the same new id looked up different random rows, and
only one can be kept.

Under `ParameterServerStrategy` each worker is one replica of its own
(`in_sync() == 1`): it applies its updates to Redis directly, asynchronously,
as it does to the dense variables on the parameter servers.
"""

import contextlib

import tensorflow as tf

from tensorflow_recommenders_addons.dynamic_embedding.python.ops import sharding


def scope_of(strategy):
  """`strategy.scope()`, unless no strategy is given or one is active (the
  active one wins, as upstream's layers decide)."""
  if strategy is None or tf.distribute.has_strategy():
    return contextlib.nullcontext()
  return strategy.scope()


def _replica_context():
  """The current replica context, or None in a cross-replica context."""
  return tf.distribute.get_replica_context()


def in_sync():
  """How many replicas run the current step in sync (1: no strategy, a
  cross-replica context, or one replica per worker)."""
  context = _replica_context()
  return 1 if context is None else context.num_replicas_in_sync


def initial_rows():
  """Rows a new wrapper's buffers hold before its first lookup fills them.

  None outside a strategy. One under a strategy: MultiWorkerMirroredStrategy
  broadcasts every initial value from the chief, and TensorFlow 2.21 crashes
  (SIGSEGV in CollectiveBcastSend) on an empty one. That placeholder row is
  never read nor written back: a lookup sets the ids first.
  """
  return 1 if tf.distribute.has_strategy() else 0


def local(variable):
  """This replica's own component of a variable created under a strategy.

  A variable created under `strategy.scope()` has one component per replica
  device; assigning to the distributed variable in a replica context would
  ask for an aggregation, while each replica must hold rows of its own ids.
  Outside a replica context this is the primary component. Other variables
  are returned as they are.
  """
  if isinstance(variable, tf.distribute.DistributedValues):
    return variable._get_on_device_or_primary()  # pylint: disable=protected-access
  return variable


def replica_key():
  """Which replica traces the current code (None outside a replica context
  of a strategy): replicas of one MirroredStrategy share a function graph."""
  context = _replica_context()
  if context is None or context.num_replicas_in_sync == 1:
    return None
  return int(tf.get_static_value(context.replica_id_in_sync_group))


def check_created_under_strategy(wrapper_name, variable):
  """Raises if replicas in sync would share `variable` (made outside the
  strategy's scope), so they would overwrite each other's rows."""
  if in_sync() > 1 and not isinstance(variable, tf.distribute.DistributedValues):
    raise ValueError(
        "%s was created outside the scope of the tf.distribute strategy that "
        "runs this step, so its replicas would share one row buffer: create "
        "the layer (or make the first lookup) under strategy.scope(), or pass "
        "distribute_strategy= to the layer" % wrapper_name)


def merge_owned_rows(ids, grads, rows, exists=None):
  """All replicas' rows of one wrapper, merged; returns this replica's share.

  Args:
    ids: `[n]` unique ids this replica looked up.
    grads: `[n, dim]` this replica's gradient of their rows.
    rows: `[n, dim]` their rows as looked up.
    exists: `[n]` bool, whether each was in the table (bp_v2), or None.

  Returns:
    `(ids, grads, rows, exists)` of the distinct ids this replica owns:
    the gradients summed over every replica, the rows and exists flags of
    the first replica that looked each id up (exists None if not given).
  """
  context = _replica_context()
  replicas = context.num_replicas_in_sync
  dim = rows.shape[-1]
  columns = [grads, rows]
  if exists is not None:
    columns.append(tf.cast(exists, rows.dtype)[:, None])
  all_ids = context.all_gather(ids, axis=0)
  all_columns = context.all_gather(tf.concat(columns, axis=1), axis=0)
  unique_ids, index = tf.unique(all_ids, out_idx=tf.int32)
  count = tf.size(unique_ids)
  summed = tf.math.unsorted_segment_sum(all_columns[:, :dim], index, count)
  first = tf.math.unsorted_segment_min(
      tf.range(tf.size(all_ids)), index, count)
  kept = tf.gather(all_columns[:, dim:], first)
  owner = sharding.default_partition_fn(unique_ids, replicas)
  mine = tf.equal(owner, tf.cast(context.replica_id_in_sync_group, tf.int32))
  owned_exists = None
  if exists is not None:
    owned_exists = tf.boolean_mask(kept[:, dim] > 0, mine)
  return (tf.boolean_mask(unique_ids, mine), tf.boolean_mask(summed, mine),
          tf.boolean_mask(kept[:, :dim], mine), owned_exists)


def take_owned_rows(wrapper, grad):
  """Makes `wrapper` hold the rows this replica owns; returns their summed
  gradient (see `merge_owned_rows`).

  Raises:
    ValueError: replicas in other processes cannot reach the tables.
  """
  _check_shared_between_workers(wrapper.params)
  ids, grad, rows, exists = merge_owned_rows(wrapper.read_ids(), grad,
                                             wrapper.read_rows(),
                                             wrapper.read_exists())
  wrapper.set_rows(ids, rows, exists)
  return grad


def _check_shared_between_workers(params):
  """Replicas in several processes must share the tables (Redis): each
  writes only the rows it owns and reads everyone's."""
  local_replicas = len(tf.distribute.get_strategy().extended.worker_devices)
  if in_sync() > local_replicas and any(
      table.storage_id is None for table in params.tables):
    raise ValueError(
        "%s: its tables live in this process, but %d replicas in several "
        "processes train it; store it where every worker reaches it (e.g. "
        "de.RedisTableCreator)" % (params.name, in_sync()))


def update_owned(optimizer, grads, wrappers):
  """Runs `optimizer`'s update of the owned rows in this replica's context.

  The wrapped optimizer's own apply would all-reduce every gradient, which
  the owned rows (a different count on every replica) must not be: their
  gradients are sums over the replicas already. Clipping by value and weight
  decay apply to them as in one process; clipping by norm would see only
  this replica's share of the rows, so it is refused.

  Raises:
    NotImplementedError: the optimizer clips by norm.
  """
  if optimizer.clipnorm is not None or optimizer.global_clipnorm is not None:
    raise NotImplementedError(
        "clipnorm / global_clipnorm with dynamic embeddings under %d replicas "
        "in sync: each replica holds only its share of the rows, so their "
        "norm is not the step's; use clipvalue" % in_sync())
  grads = optimizer._clip_gradients(grads)  # pylint: disable=protected-access
  _apply_weight_decay(optimizer, wrappers)
  for grad, wrapper in zip(grads, wrappers):
    optimizer.update_step(grad, wrapper, optimizer.learning_rate)


def _apply_weight_decay(optimizer, wrappers):
  """Keras' weight decay, here: its TF variant would enter a cross-replica
  context, where the owned rows have no meaning."""
  if optimizer.weight_decay is None:
    return
  for wrapper in wrappers:
    if optimizer._use_weight_decay(wrapper):  # pylint: disable=protected-access
      rate = tf.cast(optimizer.learning_rate, wrapper.dtype)
      decay = tf.cast(optimizer.weight_decay, wrapper.dtype)
      wrapper.assign(wrapper - wrapper * decay * rate)


def barrier_after(writes):
  """An all-reduce that runs after `writes` (ops, tensors or None) on every
  replica: the step ends only once every replica has written its rows."""
  context = _replica_context()
  writes = [w for w in writes if w is not None]
  with tf.control_dependencies(writes):
    return context.all_reduce(tf.distribute.ReduceOp.SUM,
                              tf.zeros([], tf.float32))

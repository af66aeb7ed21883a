"""Restrict policies: keep a `de.Variable` (and its optimizer slots) bounded.

A policy keeps a *status* per key in a variable of its own, made by the
restricted variable's creator (so with Redis the status table lives in the
same Redis, named as upstream TFRA names it, e.g. `<tag>:emb_frequency{..}`).
Training updates the status of the keys it writes back;
`Variable.restrict(num_reserved, trigger=...)` then, when the variable holds
more than `trigger` rows, removes all but the `num_reserved` keys with the
highest status from the variable, its status and its slot variables.

- `TimestampRestrictPolicy`: the status is the time (int32 seconds) a key
  was last trained; the oldest keys go first.
- `FrequencyRestrictPolicy`: the status counts the steps that trained a key;
  the rarest keys go first.

Several workers may train and restrict one Redis-backed variable at once.
Counts are added on the server (`accum`), so concurrent workers' steps all
count; a restriction reads the status table once (export), chooses the keys
in this process and removes them by key from every table, so rows a worker
trains in between are only removed if the export saw them. Timestamps are
written (last writer wins).

Example:
  >>> var = de.get_variable("emb", dim=8, kv_creator=creator,
  ...                       restrict_policy=de.FrequencyRestrictPolicy)
  >>> ... train ...
  >>> var.restrict(100000, trigger=120000)  # in a graph: run the returned op
"""

import tensorflow as tf
from tensorflow.python.framework import ops as tf_ops

from tensorflow_recommenders_addons.dynamic_embedding.python.ops import variable_store


class RestrictPolicy:
  """Base of the restrict policies (use a subclass).

  A subclass defines `_STATUS_SUFFIX` (the last part of its status
  variable's name), `apply_update` and `_status_rank`.

  Attributes:
    var: the restricted `de.Variable`.
    params_in_slots: slot variables whose rows are removed with the
      variable's (filled as the optimizer makes slots, see
      `_track_params_from_optimizer_slots`).
  """

  _STATUS_SUFFIX = None

  def __init__(self, var):
    """Creates the status variable of `var` (int32 rows of dim 1).

    Its name follows upstream's rules, so the status table of a job that
    TFRA 0.8 trained is found again: `<var>/<suffix>` eagerly, under a
    `status` name scope in a TF1 graph (`status/<var>/<suffix>`, made
    unique by the graph as TF1 name scopes are), each behind the current
    variable scope.
    """
    self.var = var
    self.params_in_slots = []
    scope = tf.compat.v1.get_variable_scope().name
    status_scope = scope + "/status" if scope else "status"
    relative = "%s/%s" % (var.name, self._STATUS_SUFFIX)
    # TF's internal name_scope, as upstream's: None eagerly (where
    # tf.compat.v1.name_scope would give "status/"), unique in a graph.
    with tf_ops.name_scope(status_scope, "status", []) as unique_scope:
      full_name = unique_scope + relative if unique_scope else relative
      self._status = variable_store.make_get_variable(type(var))(
          full_name,
          key_dtype=var.key_dtype,
          value_dtype=tf.int32,
          dim=1,
          devices=var.devices,
          partitioner=var.partition_fn,
          trainable=False,
          init_size=var.init_size,
          kv_creator=var.kv_creator)

  @property
  def status(self):
    """The status `de.Variable` (one int32 per key)."""
    return self._status

  # Upstream's attribute name for the status variable.
  @property
  def _restrict_var(self):
    return self._status

  def apply_update(self, ids):
    """Updates the status of `ids` (keys a training step wrote back).

    Returns:
      The update op (eagerly it has run).
    """
    raise NotImplementedError

  def apply_restriction(self, num_reserved, **kwargs):
    """Keeps the `num_reserved` keys of highest status if the variable holds
    more than `trigger` rows.

    Keys are chosen per storage: shards that share one table (Redis) keep
    `num_reserved` keys together; shards with tables of their own (the
    in-process backend) keep `num_reserved // shard_num` each, as upstream.

    Args:
      num_reserved: int >= 0, keys to keep.
      **kwargs: `trigger` (int, default `num_reserved`): restrict only when
        the variable's size exceeds it.

    Returns:
      A bool scalar, whether the variable was restricted (run it in a
      graph; eagerly the restriction has run).

    Raises:
      TypeError: `num_reserved` or `trigger` is not an int.
      ValueError: `num_reserved` < 0.
    """
    if not isinstance(num_reserved, int):
      raise TypeError("num_reserved should be integer.")
    if num_reserved < 0:
      raise ValueError("num_reserved should be non-negative.")
    trigger = kwargs.get("trigger", num_reserved)
    if not isinstance(trigger, int):
      raise TypeError("trigger should be integer.")
    is_oversize = tf.greater(self.var.size(), trigger)
    return tf.cond(is_oversize, lambda: self._restrict(num_reserved),
                   lambda: tf.constant(False))

  def _restrict(self, num_reserved):
    """Removes the surplus keys everywhere; True once done (a tensor, so
    both branches of the caller's `tf.cond` return the same structure)."""
    removed = self._keys_to_remove(num_reserved)
    ops = [self.var.remove(removed), self._status.remove(removed)]
    ops += [slot.remove(removed) for slot in self.params_in_slots]
    with tf.control_dependencies(ops):
      return tf.constant(True)

  def _keys_to_remove(self, num_reserved):
    """All status keys but the `num_reserved` of highest status."""
    tables = self._status._distinct_storage_tables()  # pylint: disable=protected-access
    removed = []
    for table in tables:
      sharing = sum(1 for t in self._status.tables
                    if t is table or (t.storage_id is not None and
                                      t.storage_id == table.storage_id))
      reserved = num_reserved * sharing // self._status.shard_num
      keys, status = table.export()
      status = tf.reshape(status, [-1])
      surplus = tf.maximum(tf.size(status) - reserved, 0)
      _, lowest = tf.math.top_k(-status, surplus, sorted=False)
      removed.append(tf.gather(keys, lowest))
    return tf.concat(removed, 0) if len(removed) > 1 else removed[0]

  def _track_params_from_optimizer_slots(self, slots):
    """Remembers slot variables (or `TrainableWrapper`s of them) whose rows a
    restriction removes too; each once. The optimizer calls this as it makes
    slots (upstream's name, kept for scripts that call it).

    Raises:
      TypeError: an element is neither a `de.Variable` nor a wrapper.
    """
    for slot in slots:
      params = getattr(slot, "params", slot)
      if not isinstance(params, type(self.var)):
        raise TypeError("slots should be dynamic_embedding.TrainableWrapper "
                        "or dynamic_embedding.Variable, got %s" % type(slot))
      if all(params is not known for known in self.params_in_slots):
        self.params_in_slots.append(params)


class TimestampRestrictPolicy(RestrictPolicy):
  """Keeps the most recently trained keys (oldest out first).

  The status (`<var>/timestamp`) holds the int32 Unix time in seconds at
  which a key was last written back by training.
  """

  _STATUS_SUFFIX = "timestamp"

  def apply_update(self, ids):
    keys = tf.reshape(ids, [-1])
    now = tf.cast(tf.timestamp(), tf.int32)
    return self._status.upsert(keys, tf.fill([tf.size(keys), 1], now))


class FrequencyRestrictPolicy(RestrictPolicy):
  """Keeps the most often trained keys (lowest count out first).

  The status (`<var>/frequency`) counts the training steps that wrote a key
  back (a key repeated within one batch counts once, as upstream; so does a
  key held by several lookups of one step, see lookup_steps.py).
  """

  _STATUS_SUFFIX = "frequency"

  def apply_update(self, ids):
    """Adds 1 to the count of each of `ids` (unique), on the server.

    Two `accum`s: the first stores a count of 0 where a key has none (it
    leaves existing counts alone), the second adds 1 where a key has a
    count. Both are atomic per key in Redis, so steps of concurrent workers
    all count (a read-add-write would lose some).
    """
    keys = tf.reshape(ids, [-1])
    count = tf.size(keys)
    zeros = tf.zeros([count, 1], tf.int32)
    created = self._status.accum(keys, zeros, zeros,
                                 tf.zeros([count], tf.bool))
    with tf.control_dependencies([created]):
      return self._status.accum(keys, zeros, zeros + 1,
                                tf.ones([count], tf.bool))


def check_policy_class(restrict_policy):
  """`restrict_policy` (None, a `RestrictPolicy` subclass or its name as a
  string, e.g. from a Keras config) as a class, or None.

  Raises:
    TypeError: anything else.
  """
  if restrict_policy is None:
    return None
  if isinstance(restrict_policy, str):
    restrict_policy = _BY_NAME.get(restrict_policy, restrict_policy)
  if not (isinstance(restrict_policy, type) and
          issubclass(restrict_policy, RestrictPolicy)):
    raise TypeError("restrict_policy must be subclass of RestrictPolicy, got "
                    "%r" % (restrict_policy,))
  return restrict_policy


_BY_NAME = {
    cls.__name__: cls
    for cls in (TimestampRestrictPolicy, FrequencyRestrictPolicy)
}

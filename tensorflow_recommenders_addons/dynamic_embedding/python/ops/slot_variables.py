"""Optimizer slots of dynamic embeddings, named as TFRA 0.8 named them.

A slot (Adam's `m`, Adagrad's `accumulator`, ...) of a trained `de.Variable`
is a `de.Variable` of its own, made by the primary variable's creator (so the
slots live in Redis when the embeddings do), whose default row is the slot's
initial value. One step's slot rows are held by a slot `TrainableWrapper`
that shares the primary wrapper's ids.

The slot variable's full name (Redis keys use it with "/" replaced by "_"):

| Trained by | Slot variable |
|---|---|
| a Keras optimizer (Keras 3, tf_keras, tf_keras legacy) | `<var>/<lookup>/<slot>`; a layer's lookup is `DynamicEmbedding/<layer>-shadow` |
| a `tf.compat.v1.train` optimizer named `O` | `<var>/<O>/<slot>`, one per variable whatever the lookup |
| any, with `short_file_name=True` | `<var>/<slot>` |

`<slot>` is the optimizer's own slot name, except for Keras 3 optimizers:
their names differ from tf_keras's for the same algorithm, and TFRA 0.8 ran
on tf_keras, so they are mapped (`_KERAS3_TO_TF_KERAS`). A Keras 3 Adam thus
resumes from the `m` / `v` rows a TFRA 0.8 Adam left in Redis.

Earlier versions of this package named Keras 3 slots after Keras 3 (`momentum`,
`velocity`, ...) and layer lookups `<layer>-shadow`. A slot table created empty
takes over the rows of its former name (`KVTable.adopt_renamed`), and says so
in one log line.
"""

import keras
import numpy as np
import tensorflow as tf

from tensorflow_recommenders_addons.dynamic_embedding.python.ops import dynamic_embedding_variable
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import embedding_weights

# Keras 3 slot names that tf_keras (and so TFRA 0.8) spelled otherwise, per
# Keras 3 class; subclasses (AdamW) follow their base. Names not listed are
# the same in both (Adagrad, Ftrl, RMSprop, Adadelta) or exist in Keras 3
# only (Lamb, Muon).
_KERAS3_TO_TF_KERAS = {
    keras.optimizers.Adam: {"momentum": "m", "velocity": "v",
                            "velocity_hat": "vhat"},
    keras.optimizers.Adamax: {"momentum": "m", "norm": "u"},
    keras.optimizers.Nadam: {"momentum": "m", "velocity": "v"},
    keras.optimizers.SGD: {"momentum": "m"},
    keras.optimizers.Lion: {"momentum": "m"},
}


def keras3_slot_name(optimizer, name):
  """The name TFRA 0.8 gave the slot a Keras 3 `optimizer` calls `name`."""
  for cls in type(optimizer).__mro__:
    renames = _KERAS3_TO_TF_KERAS.get(cls)
    if renames is not None:
      return renames.get(name, name)
  return name


def slot_full_name(params, scope, slot_name):
  """The slot variable's full name (see the module docstring)."""
  if params.short_file_name:
    return "%s/%s" % (params.name, slot_name)
  return "%s/%s/%s" % (params.name, scope, slot_name)


def former_keras3_name(wrapper, keras3_name):
  """The full name this package gave the slot `keras3_name` of `wrapper`
  before it named slots as TFRA 0.8 did."""
  scope = wrapper.store_name
  prefix = embedding_weights.LAYER_LOOKUP_SCOPE + "/"
  if scope.startswith(prefix):
    scope = scope[len(prefix):]
  return slot_full_name(wrapper.params, scope, keras3_name)


def default_row(initial_value, dim, dtype):
  """The `[dim]` numpy row a slot's initial value gives every new key.

  Args:
    initial_value: None or "zeros"; a Keras or TF initializer (or its name);
      or a value whose rows are all equal (optimizers compute some from the
      variable's shape, which `rows_variable.one_row_shapes` makes one
      row).
    dim: row width.
    dtype: value dtype.

  Raises:
    TypeError: the value is not a constant (no row can be known ahead).
  """
  dtype = tf.as_dtype(dtype)
  if initial_value is None:
    return np.zeros([dim], dtype.as_numpy_dtype)
  if isinstance(initial_value, str):
    initial_value = keras.initializers.get(initial_value)
  with tf.init_scope():
    if callable(initial_value):
      initial_value = initial_value(shape=[1, dim], dtype=dtype)
    value = _constant_value(initial_value)
  if value is None:
    raise TypeError("a slot's initial value must be a constant to serve as "
                    "its table's default row, got %r" % (initial_value,))
  rows = np.broadcast_to(np.asarray(value, dtype.as_numpy_dtype), [1, dim])
  return np.array(rows.reshape([-1, dim])[0])


def _constant_value(value):
  """`value` as numpy, or None when it is not a constant.

  In a TF1 graph optimizers compute initial values with ops that constant
  folding does not know (TF1 Ftrl: `ones(shape) * value`); such a tensor is
  evaluated alone, which fails if it reads a variable or a placeholder.
  """
  constant = tf.get_static_value(value)
  if constant is not None or not isinstance(value, tf.Tensor):
    return constant
  try:
    with tf.compat.v1.Session(graph=value.graph) as session:
      return session.run(value)
  except (tf.errors.OpError, ValueError, TypeError):
    return None


def make_slot(wrapper, slot_name, initial_value, bp_v2, scope=None,
              former_name=None):
  """Creates (or reuses) the slot variable and returns a slot wrapper.

  Args:
    wrapper: the primary `TrainableWrapper`.
    slot_name: the slot's name as TFRA 0.8 wrote it.
    initial_value: see `default_row`.
    bp_v2: slot rows are written back by `accum`.
    scope: the middle part of the name (default: the lookup's name).
    former_name: an earlier full name of this slot variable, whose rows it
      takes over when it is empty.

  Returns:
    A non-trainable `TrainableWrapper` of the slot variable sharing
    `wrapper`'s ids.
  """
  params = wrapper.params
  full_name = slot_full_name(params, scope or wrapper.store_name, slot_name)
  slot_params = dynamic_embedding_variable.get_variable_by_full_name(
      full_name,
      key_dtype=params.key_dtype,
      value_dtype=params.value_dtype,
      dim=params.dim,
      devices=params.devices,
      partitioner=params.partition_fn,
      initializer=default_row(initial_value, params.dim, params.value_dtype),
      trainable=False,
      checkpoint=params.checkpoint,
      init_size=params.init_size,
      kv_creator=params.kv_creator,
      bp_v2=bp_v2,
      short_file_name=params.short_file_name)
  if former_name is not None and former_name != full_name:
    _adopt_former_tables(slot_params, former_name)
  return embedding_weights.TrainableWrapper(slot_params, slot_params.name,
                                            trainable=False, ids=wrapper.ids)


def _adopt_former_tables(slot_params, former_name):
  """Moves the rows stored under `former_name` into `slot_params`' tables."""
  with tf.init_scope():
    if not tf.executing_eagerly():
      return  # Former names were written by Keras 3 jobs, which run eagerly.
    former_table = former_name.replace("/", "_")
    for table in slot_params._distinct_storage_tables():  # pylint: disable=protected-access
      moved, kept_both = table.adopt_renamed(former_table)
      if moved:
        tf.get_logger().warning(
            "Moved slot table %s to %s (TFRA 0.8's slot name; %d Redis "
            "keys renamed)", former_table, slot_params.name, moved)
      elif kept_both:
        tf.get_logger().warning(
            "Slot table %s has rows, and so has its former name %s: kept "
            "%s, left %s unchanged", slot_params.name, former_table,
            slot_params.name, former_table)


class SlotRegistry:
  """The slot wrappers an optimizer made, per primary wrapper."""

  def __init__(self):
    self._slots = {}  # id(wrapper) -> (wrapper, [slot wrappers])

  def add(self, wrapper, slot):
    self._slots.setdefault(id(wrapper), (wrapper, []))[1].append(slot)

  def find(self, wrapper, full_name):
    """The slot wrapper of `wrapper` whose variable is `full_name`, or
    None."""
    for slot in self.of(wrapper):
      if slot.params.name == full_name:
        return slot
    return None

  def of(self, wrapper):
    """Slot wrappers of `wrapper`, in creation order."""
    entry = self._slots.get(id(wrapper))
    return list(entry[1]) if entry else []


def drop_repeated_wrappers(grads_and_vars):
  """`grads_and_vars` without the later pairs of a wrapper listed again.

  When several lookups of a step share one wrapper, upstream's models name
  it in `var_list` once per lookup. Its gradient is that of the variable,
  already the sum over every lookup through it (each listing gets the same
  one), so it is applied once: applying it again would update its rows
  twice in one step. A pair without a gradient does not count.
  """
  kept, seen = [], []
  for grad, var in grads_and_vars:
    wrapper = embedding_weights.wrapper_of(var)
    if wrapper is not None and grad is not None:
      if any(wrapper is w for w in seen):
        continue
      seen.append(wrapper)
    kept.append((grad, var))
  return kept


class StepPlan:
  """One apply step of an optimizer over wrappers and other variables.

  Splits `grads_and_vars`: a wrapper (either face) of a trainable variable
  gets its `RowsVariable` and a dense `[rows, dim]` gradient; wrappers of
  non-trainable variables are dropped (upstream leaves them alone); other
  pairs pass through. A wrapper listed again is dropped too
  (`drop_repeated_wrappers`). `fill_slots` then fills the slot wrappers, and
  `write_back` writes every row back after the update. The ops are ordered
  by explicit control dependencies, as a TF1 `Session` needs.
  """

  def __init__(self, grads_and_vars, rows_face):
    """`rows_face`: pass wrappers to the optimizer as `RowsVariable`s
    (every family but Keras 3's, which trains the wrappers themselves)."""
    self.grads_and_vars = []
    self.wrappers = []
    self._grads = []
    for grad, var in drop_repeated_wrappers(grads_and_vars):
      wrapper = embedding_weights.wrapper_of(var)
      if wrapper is None or grad is None:
        self.grads_and_vars.append((grad, var))
        continue
      if not wrapper.params.trainable:
        continue
      self.wrappers.append(wrapper)
      self._grads.append(grad)
      self.grads_and_vars.append(
          (grad, wrapper.rows_variable if rows_face else wrapper))
    self._holders = []
    self.ready = []

  def fill_slots(self, slots_of):
    """Fills each wrapper's slots (after its gradient) and makes its gradient
    dense; keeps the rows `bp_v2` write-backs need. `slots_of(wrapper)`
    lists the slot wrappers."""
    dense = {}
    for wrapper, grad in zip(self.wrappers, self._grads):
      with tf.control_dependencies(_tensors_of(grad)):
        ready = [wrapper.read_rows()]
        for holder in [wrapper] + slots_of(wrapper):
          fill = holder.fill() if holder is not wrapper else None
          with tf.control_dependencies(_ops(fill)):
            old_rows = holder.read_rows() if holder.params.bp_v2 else None
          ready += _ops(fill) + _ops(old_rows)
          self._holders.append((holder, old_rows))
        dense[id(wrapper)] = dense_rows(grad, tf.shape(ready[0])[0])
      self.ready += ready
    self.grads_and_vars = [
        (dense.get(id(embedding_weights.wrapper_of(var)), grad), var)
        for grad, var in self.grads_and_vars
    ]

  def write_back(self, update):
    """Writes every held row back after `update`; returns the write ops."""
    with tf.control_dependencies(_ops(update)):
      writes = [holder.write_back(old) for holder, old in self._holders]
    return [w for w in writes if w is not None]


def _ops(value):
  """`value` as control inputs: none eagerly; variables are read."""
  if value is None or tf.executing_eagerly():
    return []
  if isinstance(value, (tf.Tensor, tf.Operation)):
    return [value]
  return [tf.convert_to_tensor(value)]


def _tensors_of(grad):
  if isinstance(grad, tf.IndexedSlices):
    return _ops(grad.values) + _ops(grad.indices)
  return _ops(grad)


def dense_rows(grad, num_rows):
  """The gradient as a dense `[num_rows, dim]` tensor (duplicates summed)."""
  if isinstance(grad, tf.IndexedSlices):
    return tf.math.unsorted_segment_sum(grad.values, grad.indices, num_rows)
  return tf.convert_to_tensor(grad)

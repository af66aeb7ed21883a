"""TrainableWrapper: the batch's rows of a `de.Variable` as a Keras variable.

Keras 3 optimizers only update `keras.Variable`s. A training lookup therefore
copies the rows of the batch's unique ids from the table into a wrapper (a
variable with a dynamic number of rows) and gathers the embeddings from it, so
gradients reach the wrapper. `DynamicEmbeddingOptimizer` applies the wrapped
Keras optimizer to it and writes the rows (and slot rows) back to the tables.

A wrapper has two faces: itself, a Keras 3 variable (what Keras 3 layers and
optimizers see), and its storage, a `RowsVariable` (a TensorFlow resource
variable with a back reference: what TF1 `tf.compat.v1.train` optimizers,
tf_keras layers and optimizers, and graph-mode gradients see). `wrapper_of`
maps either face to the wrapper.

Model mode: in `ModelMode.INFERENCE` lookups read the tables directly and never
touch a wrapper (no writes, safe to serve concurrently).
"""

import keras
import numpy as np
import tensorflow as tf
from tensorflow.python.saved_model import save_context

from tensorflow_recommenders_addons.dynamic_embedding.python.ops import lookup_steps
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import replica_rows
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import rows_variable


# Name scope of the lookups of `de.keras.layers` (their wrappers, hence their
# slot variables, are named `DynamicEmbedding/<layer>-shadow`, as upstream's).
LAYER_LOOKUP_SCOPE = "DynamicEmbedding"


class ModelMode:
  """Whether lookups go through trainable wrappers (TRAIN) or not."""
  TRAIN = "train"
  INFERENCE = "inference"
  CURRENT_SETTING = TRAIN


def enable_train_mode():
  """Lookups traced from now on use trainable wrappers (the default)."""
  ModelMode.CURRENT_SETTING = ModelMode.TRAIN


def enable_inference_mode():
  """Lookups traced from now on read tables directly (serving)."""
  ModelMode.CURRENT_SETTING = ModelMode.INFERENCE


def get_model_mode():
  """The current `ModelMode` setting."""
  return ModelMode.CURRENT_SETTING


class TrainableWrapper(keras.Variable):
  """A Keras variable holding the rows of a `de.Variable` for one lookup.

  Its tensor shape is `[None, dim]` (rows of the last looked-up unique ids,
  kept in the `ids` variable); Keras sees `(0, dim)`, the size it has between
  batches. It is never checkpointed: the tables are. Slot wrappers (made by
  `DynamicEmbeddingOptimizer`) share the primary wrapper's `ids`.

  The `ids` (and, with `bp_v2`, `exists`) variables are one training step's
  scratch buffers, not state: no checkpoint or SavedModel tracks them. A
  SavedModel therefore holds inference lookups only, which read the tables
  directly: functions traced while it is written look up as in
  `ModelMode.INFERENCE` (so does `training=False`, which `model.export`
  passes). Saving a function traced earlier with a training lookup fails with
  TensorFlow's "untracked resource" error naming the `ids` variable: trace it
  in `ModelMode.INFERENCE`.

  Several training lookups may go through one wrapper in one step (e.g. one
  layer applied to several features, or upstream's `embedding_lookup` with
  the same name per feature): the wrapper then holds the distinct ids of all
  of them, each row once, and the optimizer step updates each row once with
  the gradients of every lookup summed (lookup_steps.py says where a step
  starts and ends). A wrapper listed several times in `var_list` is trained
  once.

  Under a `tf.distribute` strategy a wrapper created in `strategy.scope()`
  has one set of buffers per replica, and each replica uses its own (see
  replica_rows.py, which also says how the replicas' rows are merged so each
  row is updated once per step).

  Example (custom loop; `opt` made by `de.DynamicEmbeddingOptimizer`):
    >>> with tf.GradientTape() as tape:
    ...   emb, wrapper = de.embedding_lookup(var, ids, name="user",
    ...                                      return_trainable=True)
    ...   loss = tf.reduce_sum(emb)
    >>> grads = tape.gradient(loss, [wrapper])
    >>> opt.apply_gradients(zip(grads, [wrapper]))
  """

  def __init__(self, params, name, trainable=None, ids=None):
    """Creates an empty wrapper of `params` (also inside a tf.function: its
    variables are lifted out of the function, like Keras' own).

    Args:
      params: the `de.Variable` whose rows this holds.
      name: lookup name; the Keras name replaces "/" with "_".
      trainable: defaults to `params.trainable`.
      ids: the ids variable to share (slot wrappers), or None for a new one.
    """
    self._params = params
    self._dim = params.dim
    self.store_name = name
    self._steps = lookup_steps.LookupSteps()
    safe_name = name.replace("/", "_")
    initial_rows = replica_rows.initial_rows()
    with tf.init_scope():
      self._ids = ids if ids is not None else _row_ids_variable(
          params.key_dtype, safe_name + "-ids", initial_rows)
      self._exists = _row_ids_variable(
          tf.bool, safe_name + "-exists",
          initial_rows) if params.bp_v2 else None
      super().__init__(
          initializer=np.zeros((initial_rows, self._dim),
                               params.value_dtype.as_numpy_dtype),
          dtype=params.value_dtype.name,
          trainable=params.trainable if trainable is None else trainable,
          autocast=False,
          name=safe_name)

  # The row buffer. Keras reads, assigns and differentiates `_value`; under a
  # strategy that is this replica's component of the distributed variable.
  @property
  def _value(self):
    return replica_rows.local(self._row_buffer)

  @_value.setter
  def _value(self, variable):
    self._row_buffer = variable

  @property
  def params(self):
    """The `de.Variable` this wrapper reads from and writes to."""
    return self._params

  @property
  def ids(self):
    """The `tf.Variable` of ids whose rows the wrapper holds."""
    return self._ids

  @property
  def rows_variable(self):
    """The `RowsVariable` holding the rows (the face non-Keras-3 code sees)."""
    return self._value

  def lookup(self, ids, max_norm=None):
    """Differentiable rows of `ids` (any shape): `ids.shape + [dim]`.

    In TRAIN mode: unique ids, copy their rows into the wrapper (after the
    rows of the step's earlier lookups, if any), gather from it. In
    INFERENCE mode: a direct table lookup.
    """
    ids = _checked_ids(self._params, ids)
    if get_model_mode() == ModelMode.INFERENCE or (
        save_context.in_save_context()):
      # Also every function traced while a SavedModel is written (Keras then
      # traces each model's default signature, `training` unset): served
      # lookups read the tables and never touch the wrapper's buffers.
      # Absent ids get the fixed default row, so every process serving the
      # model predicts the same.
      rows = self._params.lookup(ids, dynamic_defaults=False)
    else:
      held, index = self._hold(tf.reshape(ids, [-1]))
      with tf.control_dependencies([held]):
        rows = tf.gather(self._value, index)
      rows = tf.reshape(rows, tf.concat([tf.shape(ids), [self._dim]], 0))
    if max_norm is not None:
      rows = tf.clip_by_norm(rows, max_norm, axes=[-1])
    rows.set_shape(ids.shape.concatenate([self._dim]))
    return rows

  def _hold(self, flat_ids):
    """Makes the wrapper hold the rows of `flat_ids` for this step.

    Returns:
      `(done, index)`: the op (or eager result) after which the rows are
      held, and the row of each of `flat_ids` in the wrapper.
    """
    replica_rows.check_created_under_strategy(self.store_name,
                                              self._row_buffer)
    previous = self._steps.previous()
    if previous is None:
      unique_ids, index = tf.unique(flat_ids, out_idx=tf.int32)
      done = self.prefetch(unique_ids)
    else:
      # A TF1 graph orders nothing by itself: read what the step's earlier
      # lookups wrote.
      with tf.control_dependencies(lookup_steps.control_inputs(previous)):
        done, index = self._add_ids(flat_ids)
    self._steps.record(done, self.trainable)
    return done, index

  def _add_ids(self, flat_ids):
    """Appends the rows of the ids of `flat_ids` not held yet (a later
    lookup of an open step); returns `(done, index)` as `_hold`."""
    all_ids, new_ids, index = lookup_steps.merge_ids(self.read_ids(),
                                                     flat_ids)
    writes = [replica_rows.local(self._ids).assign(all_ids, read_value=False)]
    if self._exists is None:
      new_rows = self._params.lookup(new_ids)
    else:
      new_rows, new_exists = self._params.lookup(new_ids, return_exists=True)
      writes.append(replica_rows.local(self._exists).assign(
          tf.concat([self.read_exists(), new_exists], 0), read_value=False))
    writes.append(self._value.assign(
        tf.concat([self.read_rows(), new_rows], 0), read_value=False))
    return tf.group(writes), index

  # Each step below returns the op that completes it and orders its reads
  # after its writes explicitly: a TF1 graph run by a Session has no
  # automatic control dependencies (eagerly and in tf.function they are
  # no-ops).
  def prefetch(self, unique_ids):
    """Sets `ids` and copies their rows from the table into the wrapper.

    Returns:
      The op (or eager result) after which the wrapper holds the rows.
    """
    with tf.control_dependencies([
        replica_rows.local(self._ids).assign(unique_ids, read_value=False)
    ]):
      return self.fill()

  def fill(self):
    """Copies the table rows of the current `ids` into the wrapper.

    Returns:
      The op (or eager result) after which the wrapper holds the rows.
    """
    ids = self.read_ids()
    if self._exists is None:
      return self._value.assign(self._params.lookup(ids), read_value=False)
    values, exists = self._params.lookup(ids, return_exists=True)
    return tf.group(
        replica_rows.local(self._exists).assign(exists, read_value=False),
        self._value.assign(values, read_value=False))

  def set_rows(self, ids, rows, exists=None):
    """Makes the wrapper hold `rows` of `ids` (and their `exists` flags)."""
    replica_rows.local(self._ids).assign(ids)
    self._value.assign(rows)
    if self._exists is not None:
      replica_rows.local(self._exists).assign(exists)

  def read_ids(self):
    """The ids whose rows the wrapper holds, as a tensor."""
    return replica_rows.local(self._ids).read_value()

  def read_exists(self):
    """Whether each id was in the table when read (bp_v2), or None."""
    if self._exists is None:
      return None
    return replica_rows.local(self._exists).read_value()

  def read_rows(self):
    """The rows as a tensor (e.g. before an update, for `write_back`)."""
    return self._value.read_value()

  def write_back(self, old_rows=None):
    """Writes the rows to the table: upsert, or `accum` when `bp_v2`; then
    updates the status of the ids when the variable has a restrict policy.

    Args:
      old_rows: the rows as filled (before the update); needed for bp_v2.

    Returns:
      The write op (None eagerly).
    """
    self._steps.close()
    ids = self.read_ids()
    rows = self._value.read_value()
    if self._exists is None:
      written = self._params.upsert(ids, rows)
    else:
      written = self._params.accum(ids, old_rows, rows, self.read_exists())
    policy = self._params.restrict_policy
    if policy is None:
      return written
    return tf.group(written, policy.apply_update(ids))

  def size(self):
    """Rows in the table (not in the wrapper)."""
    return self._params.size()

  # Keras plumbing: a dynamic number of rows, no checkpoint state.
  def _initialize(self, value):
    if tf.distribute.has_strategy():
      # The strategy's variable creator must make the buffer (one component
      # per replica, replica_rows.py); its components are plain resource
      # variables, so there is no RowsVariable face: under a strategy the
      # Keras 3 optimizers, which train the wrapper itself, are the ones
      # supported.
      self._value = tf.Variable(value,
                                shape=tf.TensorShape([None, self._dim]),
                                dtype=self._dtype,
                                trainable=self.trainable,
                                name=self.name)
      return
    self._value = rows_variable.RowsVariable(self, value, self._dim,
                                             self._dtype, self.trainable,
                                             self.name)

  def _validate_shape(self, shape):
    del shape  # The row count changes every batch; Keras sees none.
    return (0, self._dim)

  def assign(self, value):
    value = tf.convert_to_tensor(value, dtype=self._value.dtype)
    self._value.assign(value)
    return value

  def _serialize_to_tensors(self):
    return {}

  def _restore_from_tensors(self, restored_tensors):
    del restored_tensors
    return tf.no_op()


def wrapper_of(variable):
  """The `TrainableWrapper` `variable` is a face of, or None."""
  if isinstance(variable, TrainableWrapper):
    return variable
  if isinstance(variable, rows_variable.RowsVariable):
    return variable.wrapper
  return None


def rows_face(variable):
  """`variable`, or its `RowsVariable` when it is a wrapper (either face)."""
  wrapper = wrapper_of(variable)
  return variable if wrapper is None else wrapper.rows_variable


def rows_faces(variables):
  """`rows_face` over a list of variables, or over what a callable returns
  (optimizers' `minimize` accepts a `var_list` function)."""
  if callable(variables):
    return lambda: rows_faces(variables())
  return [rows_face(v) for v in tf.nest.flatten(variables)]


def _row_ids_variable(dtype, name, rows):
  """A non-trainable `[None]` variable (ids or exists per row)."""
  return tf.Variable(tf.zeros([rows], dtype),
                     shape=tf.TensorShape([None]),
                     trainable=False, name=name)


def _checked_ids(params, ids):
  if isinstance(ids, (tf.Tensor, tf.Variable)) and ids.dtype != params.key_dtype:
    raise TypeError("%s: ids must be %s, got %s" %
                    (params.name, params.key_dtype.name, ids.dtype.name))
  return tf.convert_to_tensor(ids, params.key_dtype)


# Base name of the wrappers of unnamed lookups (upstream's, without its
# leading "_", which variable names cannot start with).
_ANONYMOUS_LOOKUP = "anonymous_trainable_store_key"


def get_or_create_wrapper(params, name):
  """The wrapper `params.trainable_store[name]`, created on first use."""
  wrapper = params.trainable_store.get(name)
  if wrapper is None:
    wrapper = TrainableWrapper(params, name)
    params.trainable_store[name] = wrapper
  return wrapper


def trainable_lookup(params, ids, name=None, max_norm=None,
                     return_trainable=False):
  """Rows of `ids` through the wrapper named `name` (created on first use).

  In a graph (TF1, or a `tf.function` trace) `name` may be None, as upstream
  allows: the lookup then gets a wrapper named uniquely in that graph, so
  every unnamed lookup of a graph has its own, and a retrace reuses them.

  Raises:
    ValueError: `name` is None while executing eagerly (the name keys the
      wrapper that carries gradients from one step to the next).
  """
  if name is None:
    if tf.executing_eagerly():
      raise ValueError("Must specify a name for the lookup of %s when running "
                       "eagerly: the name keys the trainable wrapper across "
                       "steps" % params.name)
    name = tf.compat.v1.get_default_graph().unique_name(_ANONYMOUS_LOOKUP)
  if not params.value_dtype.is_floating:
    if return_trainable:
      raise TypeError("%s holds %s values, which cannot be trained" %
                      (params.name, params.value_dtype.name))
    return params.lookup(_checked_ids(params, ids))
  wrapper = get_or_create_wrapper(params, name)
  rows = wrapper.lookup(ids, max_norm=max_norm)
  return (rows, wrapper) if return_trainable else rows

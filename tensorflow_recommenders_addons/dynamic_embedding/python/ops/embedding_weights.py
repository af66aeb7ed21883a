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

import contextlib
import weakref

import keras
import numpy as np
import tensorflow as tf
from tensorflow.python.ops import resource_variable_ops
from tensorflow.python.saved_model import save_context

from tensorflow_recommenders_addons.dynamic_embedding.python.ops import replica_rows


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

  One wrapper serves one lookup per training step: a second lookup through the
  same wrapper before the optimizer step replaces the first one's rows (and
  would misdirect the first one's gradients). Inside one `tf.function` graph a
  second training lookup therefore raises; eagerly it cannot be detected. Use
  a distinct name (or layer) per lookup, or concatenate the ids.

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
    # {graph: replicas that traced a training lookup into it}.
    self._lookups_in_graph = weakref.WeakKeyDictionary()
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

    In TRAIN mode: unique ids, copy their rows into the wrapper, gather from
    it. In INFERENCE mode: a direct table lookup.

    Raises:
      ValueError: a second TRAIN lookup in the same `tf.function` graph.
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
      self._check_first_lookup_in_graph()
      unique_ids, index = tf.unique(tf.reshape(ids, [-1]), out_idx=tf.int32)
      with tf.control_dependencies([self.prefetch(unique_ids)]):
        rows = tf.gather(self._value, index)
      rows = tf.reshape(rows, tf.concat([tf.shape(ids), [self._dim]], 0))
    if max_norm is not None:
      rows = tf.clip_by_norm(rows, max_norm, axes=[-1])
    rows.set_shape(ids.shape.concatenate([self._dim]))
    return rows

  def _check_first_lookup_in_graph(self):
    replica_rows.check_created_under_strategy(self.store_name,
                                              self._row_buffer)
    if tf.executing_eagerly():
      return
    replicas = self._lookups_in_graph.setdefault(
        tf.compat.v1.get_default_graph(), set())
    replica = replica_rows.replica_key()
    if replica in replicas:
      raise ValueError(
          "%s: a second training lookup in one step would replace the rows "
          "of the first; use one layer (or lookup name) per lookup, or "
          "concatenate the ids into one lookup" % self.store_name)
    replicas.add(replica)

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
    self._value = RowsVariable(self, value, self._dim, self._dtype,
                               self.trainable, self.name)

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


class RowsVariable(resource_variable_ops.ResourceVariable):
  """The `[None, dim]` resource variable holding a wrapper's rows.

  Optimizers other than Keras 3's (`tf.compat.v1.train`, tf_keras current and
  legacy) and tf_keras layers train this variable; `wrapper` leads back to the
  `TrainableWrapper`, `params` to the `de.Variable`. Like the wrapper it holds
  one step's scratch rows and writes nothing to checkpoints.
  """

  def __init__(self, wrapper, initial_value, dim, dtype, trainable, name):
    self._wrapper = wrapper
    self._one_row_shape = tf.TensorShape([1, dim])
    self._report_one_row = False
    super().__init__(initial_value, shape=tf.TensorShape([None, dim]),
                     dtype=dtype, trainable=trainable, name=name)

  @property
  def wrapper(self):
    """The `TrainableWrapper` whose rows this holds."""
    return self._wrapper

  @property
  def params(self):
    """The `de.Variable` the rows belong to."""
    return self._wrapper.params

  @property
  def shape(self):
    # See `one_row_shapes`.
    return self._one_row_shape if self._report_one_row else self._shape

  def _serialize_to_tensors(self):
    return {}

  def _restore_from_tensors(self, restored_tensors):
    del restored_tensors
    return tf.no_op()


@contextlib.contextmanager
def one_row_shapes(variables):
  """Makes the `RowsVariable`s among `variables` report shape `[1, dim]`.

  Optimizers compute some slots' initial values from the variable's static
  shape (`tf.constant(0.1, shape=var.shape)` in TF1 Ftrl, tf_keras Adagrad),
  which `[None, dim]` cannot fill. While they make slots, a rows variable
  reports one row, and that row becomes the slot table's default row.
  """
  rows = [v for v in variables if isinstance(v, RowsVariable)]
  for v in rows:
    v._report_one_row = True  # pylint: disable=protected-access
  try:
    yield
  finally:
    for v in rows:
      v._report_one_row = False  # pylint: disable=protected-access


def wrapper_of(variable):
  """The `TrainableWrapper` `variable` is a face of, or None."""
  if isinstance(variable, TrainableWrapper):
    return variable
  if isinstance(variable, RowsVariable):
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

"""Training `de.Variable`s with Keras 3 optimizers.

`DynamicEmbeddingOptimizer(opt)` makes a Keras optimizer handle
`TrainableWrapper`s (see embedding_weights.py) next to ordinary variables:

1. Slots. When the optimizer builds a slot (`add_variable_from_reference`)
   for a wrapper, it gets a *slot wrapper* instead of a fixed-shape variable.
   Its rows live in a slot `de.Variable` named `<var>/<lookup name>/<slot>`
   (`<var>/<slot>` with short_file_name), made by the primary variable's
   creator (so slots live in Redis when the embeddings do), with the slot's
   initializer as the default row (Adagrad's accumulators start at
   `initial_accumulator_value`). The slot wrapper shares the primary
   wrapper's ids; the optimizer tracks each slot variable as a checkpoint
   child named by its full name.
2. Apply. Before the wrapped optimizer's own apply step, the slot wrappers
   are filled with the slot rows of the looked-up ids and wrapper gradients
   are made dense; the optimizer then updates wrappers like any variable
   (clipping, weight decay, `update_step`, once per step for all variables);
   afterwards wrapper and slot rows are written back (upsert, or `accum` of
   the deltas for `bp_v2` variables). Ordinary variables are untouched by
   this. Under a strategy with replicas in sync, the replicas first merge
   their wrapper rows and each updates the rows it owns (replica_rows.py).

The optimizer object is modified in place and returned: its class becomes a
subclass of its own class (same name) that adds the methods below. Nothing
else in TensorFlow or Keras is changed.
"""

import functools

import keras
import tensorflow as tf

from tensorflow_recommenders_addons.dynamic_embedding.python.ops import dynamic_embedding_variable
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import embedding_weights
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import replica_rows

TrainableWrapper = embedding_weights.TrainableWrapper


class DynamicEmbeddingOptimizerMixin:
  """Methods that let a Keras 3 optimizer train `TrainableWrapper`s.

  Mixed in ahead of the optimizer's class by `DynamicEmbeddingOptimizer`;
  state lives in `_de_slots` ({wrapper key: [slot wrappers]}) and `_de_bp_v2`.
  """

  def add_variable_from_reference(self, reference_variable, name=None,
                                  initializer="zeros"):
    if not isinstance(reference_variable, TrainableWrapper):
      return super().add_variable_from_reference(reference_variable,
                                                 name=name,
                                                 initializer=initializer)
    return self._add_slot_wrapper(reference_variable, name or "var",
                                  initializer)

  def get_slot_wrappers(self, wrapper):
    """The slot wrappers this optimizer made for `wrapper`, in build order."""
    return list(self._de_slots.get(self._var_key(wrapper), ()))

  def _add_slot_wrapper(self, wrapper, slot_name, initializer):
    params = wrapper.params
    parts = [params.name, slot_name] if params.short_file_name else [
        params.name, wrapper.store_name, slot_name
    ]
    slot_params = dynamic_embedding_variable.get_variable_by_full_name(
        "/".join(parts),
        key_dtype=params.key_dtype,
        value_dtype=params.value_dtype,
        dim=params.dim,
        devices=params.devices,
        partitioner=params.partition_fn,
        initializer=initializer,
        trainable=False,
        checkpoint=params.checkpoint,
        init_size=params.init_size,
        kv_creator=params.kv_creator,
        bp_v2=self._de_bp_v2,
        short_file_name=params.short_file_name)
    self._track_trackable(slot_params, name=slot_params.name, overwrite=True)
    slot = TrainableWrapper(slot_params, slot_params.name, trainable=False,
                            ids=wrapper.ids)
    self._de_slots.setdefault(self._var_key(wrapper), []).append(slot)
    return slot

  def _backend_apply_gradients(self, grads, trainable_variables):
    """Wraps one apply: fill slots first, write rows back last.

    The wrapped optimizer's own apply (clipping, weight decay, its
    `_backend_update_step`, run once for all variables) sees wrappers as
    plain variables with dense gradients.
    """
    kept_grads, kept_vars, holders = [], [], []
    owned_grads, owned_wrappers = [], []
    in_sync = replica_rows.in_sync() > 1
    for grad, var in zip(grads, trainable_variables):
      if isinstance(var, TrainableWrapper):
        if not var.params.trainable:
          continue  # Upstream: a non-trainable variable is left alone.
        grad = _dense_rows(grad)
        if in_sync:
          owned_grads.append(replica_rows.take_owned_rows(var, grad))
          owned_wrappers.append(var)
          holders.extend(self._prepare_rows(var))
          continue
        holders.extend(self._prepare_rows(var))
      kept_grads.append(grad)
      kept_vars.append(var)
    if owned_wrappers:
      replica_rows.update_owned(self, owned_grads, owned_wrappers)
    if kept_vars:
      super()._backend_apply_gradients(kept_grads, kept_vars)
    writes = [holder.write_back(old_rows) for holder, old_rows in holders]
    if owned_wrappers:
      replica_rows.barrier_after(writes)

  def _prepare_rows(self, wrapper):
    """Fills `wrapper`'s slot wrappers; returns (holder, old rows) pairs.

    Old rows (the rows before the update) are kept only for `bp_v2`
    variables, whose write-back adds deltas.
    """
    prepared = []
    for holder in [wrapper] + self.get_slot_wrappers(wrapper):
      if holder is not wrapper:
        holder.fill()
      old_rows = holder.read_rows() if holder.params.bp_v2 else None
      prepared.append((holder, old_rows))
    return prepared


def _dense_rows(grad):
  """The gradient of a wrapper as a dense `[rows, dim]` tensor."""
  if isinstance(grad, tf.IndexedSlices):
    return tf.math.unsorted_segment_sum(grad.values, grad.indices,
                                        grad.dense_shape[0])
  return tf.convert_to_tensor(grad)


@functools.lru_cache(maxsize=None)
def _dynamic_embedding_class(optimizer_class):
  """`optimizer_class` with the mixin in front; same name, made once."""
  return type(optimizer_class.__name__,
              (DynamicEmbeddingOptimizerMixin, optimizer_class), {
                  "__module__": optimizer_class.__module__,
                  "__qualname__": optimizer_class.__qualname__,
                  "__doc__": optimizer_class.__doc__,
              })


def DynamicEmbeddingOptimizer(optimizer, bp_v2=False, synchronous=False,
                              **kwargs):  # pylint: disable=invalid-name
  """Lets a Keras 3 optimizer train `de.Variable`s (see the module docstring).

  Wrap before the optimizer's first use; dense variables keep training as
  usual. Works in `model.fit` and in custom `GradientTape` loops, eagerly or
  in `tf.function`.

  Example:
    >>> opt = de.DynamicEmbeddingOptimizer(keras.optimizers.Adam(1e-3))
    >>> model.compile(optimizer=opt, loss="mse")

  Args:
    optimizer: a `keras.optimizers.Optimizer` (e.g. SGD, Adagrad, Adam);
      a `LossScaleOptimizer` has its inner optimizer wrapped.
    bp_v2: slot tables are written back by `accum` (deltas).
    synchronous: Horovod synchronous training; not supported.
    **kwargs: none accepted.

  Returns:
    `optimizer` itself, now training wrappers.

  Raises:
    TypeError: not a Keras optimizer, or unknown kwargs.
    ValueError: the optimizer is already built, or uses EMA or gradient
      accumulation (their extra variables are not table-backed).
    NotImplementedError: `synchronous=True`.
  """
  if kwargs:
    raise TypeError("unexpected arguments: %s" % sorted(kwargs))
  if not isinstance(optimizer, keras.optimizers.Optimizer):
    raise TypeError("Optimizer type is not supported! got %s (expected a "
                    "keras.optimizers.Optimizer)" % type(optimizer))
  if synchronous:
    raise NotImplementedError("synchronous (Horovod) training is not "
                              "supported")
  if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
    DynamicEmbeddingOptimizer(optimizer.inner_optimizer, bp_v2=bp_v2)
    return optimizer
  if isinstance(optimizer, DynamicEmbeddingOptimizerMixin):
    return optimizer
  if optimizer.built:
    raise ValueError("wrap %s before its first use: it is already built" %
                     optimizer.name)
  if optimizer.use_ema or optimizer.gradient_accumulation_steps:
    raise ValueError("use_ema and gradient_accumulation_steps are not "
                     "supported with dynamic embeddings")
  optimizer.__class__ = _dynamic_embedding_class(type(optimizer))
  # Plain attributes, kept out of Keras/TF tracking on purpose.
  object.__setattr__(optimizer, "_de_bp_v2", bool(bp_v2))
  object.__setattr__(optimizer, "_de_slots", {})
  return optimizer

"""`DynamicEmbeddingOptimizer` for Keras 3 optimizers (`keras.optimizers.*`,
which is `tf.keras.optimizers.*` unless TF_USE_LEGACY_KERAS is set).

Keras 3 trains the wrappers themselves (they are `keras.Variable`s). Slots
are made in `add_variable_from_reference`, named as tf_keras named them
(`slot_variables.keras3_slot_name`); the step wraps `_backend_apply_gradients`,
which Keras 3 runs after building the optimizer, once for all variables.
Under a strategy with replicas in sync, the replicas first merge their
wrapper rows and each updates the rows it owns (replica_rows.py).
"""

import keras
import tensorflow as tf

from tensorflow_recommenders_addons.dynamic_embedding.python.ops import embedding_weights
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import optimizer_mixin_base
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import replica_rows
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import slot_variables


class Keras3Mixin(optimizer_mixin_base.DynamicEmbeddingMixinBase):
  """Methods that let a Keras 3 optimizer train `TrainableWrapper`s."""

  def add_variable_from_reference(self, reference_variable, name=None,
                                  initializer="zeros"):
    wrapper = embedding_weights.wrapper_of(reference_variable)
    if wrapper is None:
      return super().add_variable_from_reference(reference_variable,
                                                 name=name,
                                                 initializer=initializer)
    keras3_name = name or "var"
    return self._de_add_slot(
        wrapper, slot_variables.keras3_slot_name(self, keras3_name),
        initializer,
        former_name=slot_variables.former_keras3_name(wrapper, keras3_name))

  def _backend_apply_gradients(self, grads, trainable_variables):
    """Wraps one apply: fill slots first, write rows back last.

    The wrapped optimizer's own apply (clipping, weight decay, its
    `_backend_update_step`, run once for all variables) sees wrappers as
    plain variables with dense gradients.
    """
    parent = super(Keras3Mixin, self)
    if replica_rows.in_sync() > 1:
      self._de_apply_owned_rows(parent, grads, trainable_variables)
      return

    def apply(grads_and_vars):
      if grads_and_vars:
        kept_grads, kept_vars = zip(*grads_and_vars)
        parent._backend_apply_gradients(list(kept_grads), list(kept_vars))

    self._de_apply(zip(grads, trainable_variables), lambda _: None, apply,
                   rows_face=False)

  def _de_apply_owned_rows(self, parent, grads, trainable_variables):
    """One step of replicas in sync: each wrapper first holds the rows this
    replica owns with their gradients summed over the replicas; the owned
    rows get the optimizer's update here, the other variables the wrapped
    optimizer's (all-reduced) apply; a barrier ends the step after the
    write-backs."""
    pairs = []
    for grad, var in slot_variables.drop_repeated_wrappers(
        zip(grads, trainable_variables)):
      wrapper = embedding_weights.wrapper_of(var)
      if wrapper is not None and grad is not None and wrapper.params.trainable:
        grad = replica_rows.take_owned_rows(
            wrapper,
            slot_variables.dense_rows(grad, tf.shape(wrapper.read_rows())[0]))
      pairs.append((grad, var))
    plan = slot_variables.StepPlan(pairs, rows_face=False)
    plan.fill_slots(self.get_slot_wrappers)
    owned = [(g, v) for g, v in plan.grads_and_vars
             if embedding_weights.wrapper_of(v) is not None]
    others = [(g, v) for g, v in plan.grads_and_vars
              if embedding_weights.wrapper_of(v) is None]
    if owned:
      replica_rows.update_owned(self, [g for g, _ in owned],
                                [v for _, v in owned])
    if others:
      parent._backend_apply_gradients([g for g, _ in others],
                                      [v for _, v in others])
    writes = plan.write_back(None)
    if owned:
      replica_rows.barrier_after(writes)


def check_wrappable(optimizer):
  """Raises ValueError for Keras 3 optimizers that cannot be wrapped."""
  if optimizer.built:
    raise ValueError("wrap %s before its first use: it is already built" %
                     optimizer.name)
  if optimizer.use_ema or optimizer.gradient_accumulation_steps:
    raise ValueError("use_ema and gradient_accumulation_steps are not "
                     "supported with dynamic embeddings")


def is_loss_scale(optimizer):
  return isinstance(optimizer, keras.optimizers.LossScaleOptimizer)

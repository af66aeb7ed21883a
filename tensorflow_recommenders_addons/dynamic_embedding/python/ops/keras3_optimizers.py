"""`DynamicEmbeddingOptimizer` for Keras 3 optimizers (`keras.optimizers.*`,
which is `tf.keras.optimizers.*` unless TF_USE_LEGACY_KERAS is set).

Keras 3 trains the wrappers themselves (they are `keras.Variable`s). Slots
are made in `add_variable_from_reference`, named as tf_keras named them
(`slot_variables.keras3_slot_name`); the step wraps `_backend_apply_gradients`,
which Keras 3 runs after building the optimizer, once for all variables.
"""

import keras

from tensorflow_recommenders_addons.dynamic_embedding.python.ops import embedding_weights
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import optimizer_mixin_base
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

    def apply(grads_and_vars):
      if grads_and_vars:
        kept_grads, kept_vars = zip(*grads_and_vars)
        parent._backend_apply_gradients(list(kept_grads), list(kept_vars))

    self._de_apply(zip(grads, trainable_variables), lambda _: None, apply,
                   rows_face=False)


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

"""`DynamicEmbeddingOptimizer` for Keras 2 optimizers: tf_keras's current ones
(`tf.keras.optimizers.*` with TF_USE_LEGACY_KERAS=1) and the OptimizerV2 ones
(`tf_keras.optimizers.legacy.*`, and the copy TensorFlow still ships as
`tensorflow.python.keras.optimizer_v2`).

Both train the wrappers' `RowsVariable`s and name slots as they call them
(`<var>/<lookup>/<slot>`, as TFRA 0.8 did on them). Slot hooks:
`add_variable_from_reference` (current) and `add_slot` (OptimizerV2). Each
family's own `apply_gradients` runs between filling the slots and writing the
rows back; the optimizer is built first, with rows variables reporting one row
(see `rows_variable.one_row_shapes`).

Nothing here imports tf_keras: these classes are mixed into optimizers the
user made, whose modules are loaded already.
"""

import sys

from tensorflow_recommenders_addons.dynamic_embedding.python.ops import embedding_weights
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import optimizer_mixin_base
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import rows_variable

# Modules defining OptimizerV2 (each with its own `_var_key`).
_OPTIMIZER_V2_MODULES = ("tf_keras.src.optimizers.legacy.optimizer_v2",
                         "tensorflow.python.keras.optimizer_v2.optimizer_v2")
_TF_KERAS_OPTIMIZER_MODULE = "tf_keras.src.optimizers.optimizer"


def is_tf_keras_optimizer(optimizer):
  """A tf_keras current optimizer (`tf_keras.optimizers.Optimizer`)."""
  module = sys.modules.get(_TF_KERAS_OPTIMIZER_MODULE)
  return module is not None and isinstance(optimizer, module.Optimizer)


def is_optimizer_v2(optimizer):
  """An OptimizerV2 of tf_keras's legacy package or of TensorFlow's copy."""
  return _optimizer_v2_module(type(optimizer)) is not None


def _optimizer_v2_module(cls):
  for name in _OPTIMIZER_V2_MODULES:
    module = sys.modules.get(name)
    if module is not None and issubclass(cls, module.OptimizerV2):
      return module
  return None


class TfKerasMixin(optimizer_mixin_base.DynamicEmbeddingMixinBase):
  """Methods that let a tf_keras current optimizer train wrappers."""

  def build(self, var_list):
    with rows_variable.one_row_shapes(var_list):
      super().build(var_list)

  def add_variable_from_reference(self, model_variable, variable_name,
                                  shape=None, initial_value=None):
    wrapper = embedding_weights.wrapper_of(model_variable)
    if wrapper is None:
      return super().add_variable_from_reference(model_variable,
                                                 variable_name, shape,
                                                 initial_value)
    slot = self._de_add_slot(wrapper, variable_name, initial_value)
    if not any(v is slot.rows_variable for v in self._variables):
      self._variables.append(slot.rows_variable)
    return slot.rows_variable

  def compute_gradients(self, loss, var_list, tape=None):
    return super().compute_gradients(
        loss, embedding_weights.rows_faces(var_list), tape=tape)

  def apply_gradients(self, grads_and_vars, name=None,
                      skip_gradients_aggregation=False, **kwargs):
    parent = super(TfKerasMixin, self)

    def make_slots(pairs):
      self.build([var for _, var in pairs])

    def apply(pairs):
      return parent.apply_gradients(
          pairs, name=name,
          skip_gradients_aggregation=skip_gradients_aggregation, **kwargs)

    return self._de_apply(grads_and_vars, make_slots, apply, rows_face=True)


class OptimizerV2Mixin(optimizer_mixin_base.DynamicEmbeddingMixinBase):
  """Methods that let an OptimizerV2 train wrappers."""

  def _create_all_weights(self, var_list):
    with rows_variable.one_row_shapes(var_list):
      super()._create_all_weights(var_list)

  def add_slot(self, var, slot_name, initializer="zeros", shape=None):
    wrapper = embedding_weights.wrapper_of(var)
    if wrapper is None:
      return super().add_slot(var, slot_name, initializer, shape)
    if slot_name not in self._slot_names:
      self._slot_names.append(slot_name)
    var_key = _optimizer_v2_module(type(self))._var_key(var)  # pylint: disable=protected-access
    slot_dict = self._slots.setdefault(var_key, {})
    if slot_name not in slot_dict:
      slot = self._de_add_slot(wrapper, slot_name, initializer)
      slot_dict[slot_name] = slot.rows_variable
      self._weights.append(slot.rows_variable)
    return slot_dict[slot_name]

  def _compute_gradients(self, loss, var_list, grad_loss=None, tape=None):
    return super()._compute_gradients(
        loss, embedding_weights.rows_faces(var_list), grad_loss=grad_loss,
        tape=tape)

  def get_slot(self, var, slot_name):
    return optimizer_mixin_base.slot_in_face(
        var, super().get_slot(embedding_weights.rows_face(var), slot_name))

  def apply_gradients(self, grads_and_vars, name=None,
                      experimental_aggregate_gradients=True):
    parent = super(OptimizerV2Mixin, self)

    def make_slots(pairs):
      self._create_all_weights([var for grad, var in pairs if grad is not None])

    def apply(pairs):
      return parent.apply_gradients(
          pairs, name=name,
          experimental_aggregate_gradients=experimental_aggregate_gradients)

    return self._de_apply(grads_and_vars, make_slots, apply, rows_face=True)


def check_wrappable(optimizer):
  """Raises ValueError for Keras 2 optimizers that cannot be wrapped."""
  if is_tf_keras_optimizer(optimizer):
    if getattr(optimizer, "_built", False):
      raise ValueError("wrap %s before its first use: it is already built" %
                       optimizer.name)
    if optimizer.use_ema:
      raise ValueError("use_ema is not supported with dynamic embeddings")
    # Rows change shape every step: an XLA-compiled update would recompile.
    optimizer.jit_compile = False
  elif optimizer._slots:  # pylint: disable=protected-access
    raise ValueError("wrap %s before its first use: it has slots already" %
                     optimizer._name)  # pylint: disable=protected-access


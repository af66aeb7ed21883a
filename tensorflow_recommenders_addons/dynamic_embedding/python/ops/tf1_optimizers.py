"""`DynamicEmbeddingOptimizer` for `tf.compat.v1.train` optimizers
(GradientDescent, Adagrad, Adam, Ftrl, Momentum, RMSProp, ...), in a TF1
graph run by a `Session` or `MonitoredTrainingSession`, eagerly, or inside
`tf.function`.

They train the wrappers' `RowsVariable`s. Slots come from the optimizer's own
`_create_slots` through its three slot hooks (`_zeros_slot`,
`_get_or_make_slot`, `_get_or_make_slot_with_initializer`) and are named as
TFRA 0.8 named them: `<var>/<optimizer name>/<slot>`, one slot variable per
variable whatever the lookup (each lookup gets its own slot wrapper). The
update itself is the optimizer's own (its resource kernels), so a TF1 job
keeps TF1 arithmetic (RMSProp's `rms` starting at 1, Ftrl's `accum`, ...).
"""

import tensorflow as tf
from tensorflow.python.training import optimizer as tf1_optimizer

from tensorflow_recommenders_addons.dynamic_embedding.python.ops import embedding_weights
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import optimizer_mixin_base
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import rows_variable


def is_tf1_optimizer(optimizer):
  return isinstance(optimizer, tf.compat.v1.train.Optimizer)


class Tf1Mixin(optimizer_mixin_base.DynamicEmbeddingMixinBase):
  """Methods that let a `tf.compat.v1.train.Optimizer` train wrappers."""

  def _create_slots(self, var_list):
    with rows_variable.one_row_shapes(var_list):
      super()._create_slots(var_list)

  def _zeros_slot(self, var, slot_name, op_name):
    if embedding_weights.wrapper_of(var) is None:
      return super()._zeros_slot(var, slot_name, op_name)
    return self._de_tf1_slot(var, slot_name, op_name, None)

  def _get_or_make_slot(self, var, val, slot_name, op_name):
    if embedding_weights.wrapper_of(var) is None:
      return super()._get_or_make_slot(var, val, slot_name, op_name)
    return self._de_tf1_slot(var, slot_name, op_name, val)

  def _get_or_make_slot_with_initializer(self, var, initializer, shape, dtype,
                                         slot_name, op_name):
    if embedding_weights.wrapper_of(var) is None:
      return super()._get_or_make_slot_with_initializer(
          var, initializer, shape, dtype, slot_name, op_name)
    return self._de_tf1_slot(var, slot_name, op_name, initializer)

  def _de_tf1_slot(self, var, slot_name, op_name, initial_value):
    """The slot's rows variable, kept where TF1 keeps slots (`get_slot`,
    `get_slot_names` and the update kernels find it there)."""
    named_slots = self._slot_dict(slot_name)
    key = tf1_optimizer._var_key(var)  # pylint: disable=protected-access
    if key not in named_slots:
      slot = self._de_add_slot(embedding_weights.wrapper_of(var), slot_name,
                               initial_value, scope=op_name)
      named_slots[key] = slot.rows_variable
    return named_slots[key]

  def get_slot(self, var, name):
    slot = super().get_slot(embedding_weights.rows_face(var), name)
    return optimizer_mixin_base.slot_in_face(var, slot)

  def compute_gradients(self, loss, var_list=None, *args, **kwargs):
    if var_list is not None:
      var_list = embedding_weights.rows_faces(var_list)
    return super().compute_gradients(loss, var_list, *args, **kwargs)

  def apply_gradients(self, grads_and_vars, global_step=None, name=None,
                      **kwargs):
    parent = super(Tf1Mixin, self)

    def make_slots(pairs):
      self._create_slots([var for grad, var in pairs if grad is not None])

    def apply(pairs):
      return parent.apply_gradients(pairs, global_step=global_step, name=name,
                                    **kwargs)

    return self._de_apply(grads_and_vars, make_slots, apply, rows_face=True)


def check_wrappable(optimizer):
  """Raises ValueError for TF1 optimizers that cannot be wrapped."""
  if optimizer._slots:  # pylint: disable=protected-access
    raise ValueError("wrap %s before its first use: it has slots already" %
                     optimizer.get_name())

"""`DynamicEmbeddingOptimizer`: lets an optimizer train `de.Variable`s.

Four families of optimizers are accepted, each with a mixin of its own
(the step they share is in optimizer_mixin_base.py):

| Family | Examples | Mixin |
|---|---|---|
| Keras 3 | `keras.optimizers.Adam` (`tf.keras` by default) | keras3_optimizers |
| tf_keras current | `tf.keras.optimizers.Adam` with TF_USE_LEGACY_KERAS=1 | keras2_optimizers |
| OptimizerV2 | `tf_keras.optimizers.legacy.Adam`, `tensorflow.python.keras.optimizer_v2.adam.Adam` | keras2_optimizers |
| TF1 | `tf.compat.v1.train.AdamOptimizer` | tf1_optimizers |

Wrapping changes the optimizer object in place: its class becomes a subclass
of its own class (same name) with the family's mixin in front. Nothing else
in TensorFlow or Keras is changed. Slot tables are named as TFRA 0.8 named
them (slot_variables.py).
"""

import functools

import keras

from tensorflow_recommenders_addons.dynamic_embedding.python.ops import keras2_optimizers
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import keras3_optimizers
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import optimizer_mixin_base
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import tf1_optimizers


def _family(optimizer):
  """(mixin, check) of `optimizer`'s family, or None."""
  if isinstance(optimizer, keras.optimizers.Optimizer):
    return keras3_optimizers.Keras3Mixin, keras3_optimizers.check_wrappable
  if tf1_optimizers.is_tf1_optimizer(optimizer):
    return tf1_optimizers.Tf1Mixin, tf1_optimizers.check_wrappable
  if keras2_optimizers.is_tf_keras_optimizer(optimizer):
    return keras2_optimizers.TfKerasMixin, keras2_optimizers.check_wrappable
  if keras2_optimizers.is_optimizer_v2(optimizer):
    return keras2_optimizers.OptimizerV2Mixin, keras2_optimizers.check_wrappable
  return None


@functools.lru_cache(maxsize=None)
def _dynamic_embedding_class(optimizer_class, mixin):
  """`optimizer_class` with `mixin` in front; same name, made once."""
  return type(optimizer_class.__name__, (mixin, optimizer_class), {
      "__module__": optimizer_class.__module__,
      "__qualname__": optimizer_class.__qualname__,
      "__doc__": optimizer_class.__doc__,
  })


def DynamicEmbeddingOptimizer(optimizer, bp_v2=False, synchronous=False,
                              **kwargs):  # pylint: disable=invalid-name
  """Lets an optimizer train `de.Variable`s (see the module docstring).

  Wrap before the optimizer's first use; dense variables keep training as
  usual. Works in `model.fit`, in custom `GradientTape` loops (eagerly or in
  `tf.function`), and, for `tf.compat.v1.train` optimizers, in TF1 graphs
  (`minimize` / `apply_gradients` return an op that also writes the rows
  back; `get_slot(trainable, name).params` is the slot's `de.Variable`).

  Example:
    >>> opt = de.DynamicEmbeddingOptimizer(keras.optimizers.Adam(1e-3))
    >>> model.compile(optimizer=opt, loss="mse")
    >>> opt1 = de.DynamicEmbeddingOptimizer(
    ...     tf.compat.v1.train.AdamOptimizer(1e-3))   # in a TF1 graph
    >>> train_op = opt1.minimize(loss)

  Args:
    optimizer: a Keras 3, tf_keras (current or legacy) or
      `tf.compat.v1.train` optimizer; a Keras 3 `LossScaleOptimizer` has its
      inner optimizer wrapped.
    bp_v2: slot tables are written back by `accum` (deltas).
    synchronous: Horovod synchronous training; not supported.
    **kwargs: none accepted.

  Returns:
    `optimizer` itself, now training wrappers.

  Raises:
    TypeError: not an optimizer of a supported family, or unknown kwargs.
    ValueError: the optimizer was used already, or uses EMA or gradient
      accumulation (their extra variables are not table-backed).
    NotImplementedError: `synchronous=True`.
  """
  if kwargs:
    raise TypeError("unexpected arguments: %s" % sorted(kwargs))
  if synchronous:
    raise NotImplementedError("synchronous (Horovod) training is not "
                              "supported")
  if keras3_optimizers.is_loss_scale(optimizer):
    DynamicEmbeddingOptimizer(optimizer.inner_optimizer, bp_v2=bp_v2)
    return optimizer
  if isinstance(optimizer, optimizer_mixin_base.DynamicEmbeddingMixinBase):
    return optimizer
  family = _family(optimizer)
  if family is None:
    raise TypeError(
        "Optimizer type is not supported! got %s (expected a Keras 3, "
        "tf_keras or tf.compat.v1.train optimizer)" % type(optimizer))
  mixin, check_wrappable = family
  check_wrappable(optimizer)
  optimizer.__class__ = _dynamic_embedding_class(type(optimizer), mixin)
  optimizer._de_init_state(bp_v2)  # pylint: disable=protected-access
  return optimizer

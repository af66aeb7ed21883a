"""`RowsVariable`: the resource variable that holds a trainable wrapper's rows.

A `TrainableWrapper` (embedding_weights.py) is a Keras 3 variable; its
storage is a `RowsVariable`, the face that every other trainer sees:
`tf.compat.v1.train` optimizers, tf_keras layers and optimizers (current and
legacy), and graph-mode gradients. This module holds that face and the
shape trick optimizers need while they make slots; it imports nothing of
this package.
"""

import contextlib

import tensorflow as tf
from tensorflow.python.ops import resource_variable_ops


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

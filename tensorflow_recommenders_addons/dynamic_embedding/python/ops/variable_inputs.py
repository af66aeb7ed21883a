"""Checks of the keys and values given to a `de.Variable`, with upstream's
error types (scripts written for TFRA catch them): a tensor of another dtype
is a `ValueError`, values of another shape than keys + `[dim]` an
`InvalidArgumentError` "Expected shape ..." as the table ops word it."""

import tensorflow as tf
from tensorflow.python.framework.ops import EagerTensor


def checked_dtype(variable_name, what, tensor, dtype):
  """`tensor` converted to `dtype`.

  Raises:
    ValueError: a tensor or variable of another dtype (upstream converted
      with that dtype, which raises so).
  """
  # An eager tensor of the right dtype passes as is: the public lookup path
  # pays per call for every conversion (issue 16's measurements).
  if isinstance(tensor, EagerTensor) and tensor.dtype == dtype:
    return tensor
  if isinstance(tensor, (tf.Tensor, tf.Variable)) and tensor.dtype != dtype:
    raise ValueError("%s: %s must be %s, got %s" %
                     (variable_name, what, dtype.name, tensor.dtype.name))
  return tf.convert_to_tensor(tensor, dtype)


def checked_values(variable_name, keys, values, value_dtype, dim):
  """`values` as a tensor of `value_dtype` shaped `keys.shape + [dim]`.

  Raises:
    ValueError: a tensor or variable of another dtype.
    InvalidArgumentError: another shape (also an empty batch with values of
      shape [0]); a shape only known when the graph runs is checked then.
  """
  values = checked_dtype(variable_name, "values", values, value_dtype)
  expected = keys.shape.concatenate([dim])
  if not values.shape.is_compatible_with(expected):
    raise tf.errors.InvalidArgumentError(
        None, None, "%s: Expected shape %s for values (keys + [dim]), got %s"
        % (variable_name, expected, values.shape))
  if (keys.shape.rank == 1 and values.shape.rank == 2) or (
      keys.shape.is_fully_defined() and values.shape.is_fully_defined()):
    return values  # Checked above, or the table op checks the row count.
  expected_dynamic = tf.concat([tf.shape(keys), [dim]], 0)
  shape = tf.shape(values)
  same = tf.cond(
      tf.equal(tf.size(shape), tf.size(expected_dynamic)),
      lambda: tf.reduce_all(tf.equal(shape, expected_dynamic)),
      lambda: tf.constant(False))
  check = tf.debugging.Assert(same, [
      "%s: Expected shape" % variable_name, expected_dynamic,
      "(keys + [dim]) for values, got", shape
  ])
  with tf.control_dependencies([check]):
    return tf.identity(values)

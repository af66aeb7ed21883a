"""The rows a variable returns (and, once trained, stores) for new keys."""

import sys

import keras
import numpy as np
import tensorflow as tf

# Initializers whose every row is the same: one static default row suffices.
_CONSTANT_INITIALIZERS = (
    keras.initializers.Zeros,
    keras.initializers.Ones,
    keras.initializers.Constant,
    tf.zeros_initializer,
    tf.ones_initializer,
    tf.constant_initializer,
    tf.compat.v1.zeros_initializer,
    tf.compat.v1.ones_initializer,
    tf.compat.v1.constant_initializer,
)


def _is_constant_initializer(initializer):
  if isinstance(initializer, _CONSTANT_INITIALIZERS):
    return True
  # tf_keras (Keras 2) has classes of its own; it is loaded when the user
  # made one of them (importing it here would load it for everyone).
  tf_keras = sys.modules.get("tf_keras")
  return tf_keras is not None and isinstance(
      initializer, (tf_keras.initializers.Zeros, tf_keras.initializers.Ones,
                    tf_keras.initializers.Constant))


class RowInitializer:
  """Turns a variable's `initializer` argument into default rows.

  Accepted initializers:
  - None: zeros.
  - A number, or a list / array / tensor of `dim` numbers (or of one number,
    repeated `dim` times, as upstream broadcasts it): that row for every new
    key. A tensor may be symbolic (a TF1 graph's constant).
  - A constant initializer (Keras or TF Zeros, Ones, Constant): its row.
  - Any other Keras or TF initializer, a Keras initializer name (a string,
    unless values are strings), or a callable
    `f(shape, dtype)`: called with shape `[N, dim]` on every lookup that
    misses N keys, so each of them gets its own row. Keras random initializers seeded with an
    int (or unseeded) repeat the same numbers on every call; the variable
    therefore draws from a copy seeded by a `keras.random.SeedGenerator`, which
    advances on each lookup (deterministic for a given int seed).

  Shape-dependent initializers (`VarianceScaling`: Glorot, He, Lecun, Keras
  or `tf.compat.v1`) scale by the fans of a variable's shape, which an
  embedding table, with no fixed row count, lacks. As upstream, which called
  them with the row's shape `[dim]`, every row is drawn as that call would
  draw it (fan-in = fan-out = `dim`); here each key gets its own draw.
  """

  def __init__(self, initializer, dim, value_dtype):
    """Resolves `initializer` for rows of `dim` values of `value_dtype`.

    Raises:
      ValueError: a constant with neither 1 nor `dim` values.
      TypeError: a callable initializer for non-numeric values.
    """
    self._dim = dim
    self._dtype = tf.as_dtype(value_dtype)
    self._random = None
    if isinstance(initializer, str) and self._dtype != tf.string:
      initializer = keras.initializers.get(initializer)
    if initializer is None:
      self._row = tf.zeros([dim], self._dtype)
    elif not callable(initializer):
      self._row = self._row_from_constant(initializer)
    elif _is_constant_initializer(initializer):
      self._row = self._call(initializer, (dim,))
    else:
      self._random = self._fresh_random(initializer)
      self._row = self._call(self._random, (dim,))

  @property
  def is_random(self):
    """Whether new keys get rows of their own (else all get `default_row`)."""
    return self._random is not None

  @property
  def state(self):
    """The variable holding the random state, or None (for tracking: a
    SavedModel must own every variable its functions capture)."""
    seed = getattr(self._random, "seed", None)
    return seed.state if isinstance(seed, keras.random.SeedGenerator) else None

  def default_row(self):
    """The `[dim]` static default row (for tables' `default_value`)."""
    return self._row

  def fill_absent(self, values, exists):
    """`values` (`[N, dim]`) with a fresh row drawn for each key where
    `exists` (`[N]`) is False; only those rows are drawn (the rows of keys
    that exist would be thrown away). Eagerly, a batch whose keys all exist
    costs no op at all.
    """
    if tf.executing_eagerly() and bool(np.all(exists.numpy())):
      return values
    absent = tf.where(tf.logical_not(exists))
    rows = self._call(self._random, (tf.shape(absent)[0], self._dim))
    return tf.tensor_scatter_nd_update(values, absent, rows)

  def _row_from_constant(self, value):
    if self._dtype == tf.string:
      row = tf.convert_to_tensor(value, tf.string)
    elif tf.is_tensor(value):  # Also a graph's symbolic tensor.
      row = tf.cast(value, self._dtype)
    else:
      row = tf.cast(tf.convert_to_tensor(np.asarray(value)), self._dtype)
    if row.shape.num_elements() == 1:
      return tf.fill([self._dim], tf.reshape(row, []))
    if row.shape.num_elements() != self._dim:
      raise ValueError("initializer has %s values, rows have %d (dim); give "
                       "one value or dim values" %
                       (row.shape.num_elements(), self._dim))
    return tf.reshape(row, [self._dim])

  def _fresh_random(self, initializer):
    initializer = _per_row_variance_scaling(initializer, self._dim)
    seed = getattr(initializer, "seed", None)
    if isinstance(initializer, keras.initializers.Initializer) and isinstance(
        seed, int):
      fresh = type(initializer).from_config(initializer.get_config())
      fresh.seed = keras.random.SeedGenerator(seed)
      return fresh
    return initializer

  def _call(self, initializer, shape):
    if not (self._dtype.is_floating or self._dtype.is_integer):
      raise TypeError("initializer %r cannot make %s rows; pass a value "
                      "instead" % (initializer, self._dtype.name))
    draw_dtype = self._dtype if self._dtype.is_floating else tf.float32
    rows = initializer(shape, dtype=draw_dtype)
    return tf.cast(rows, self._dtype)


# VarianceScaling's truncated normal draws within two standard deviations;
# this is the stddev of a unit normal truncated there (Keras' constant).
_TRUNCATED_STDDEV = 0.87962566103423978


def _per_row_variance_scaling(initializer, dim):
  """A `VarianceScaling` initializer as the plain distribution it draws from
  for a `[dim]` variable (fan-in = fan-out = dim); others unchanged.

  Keras 3's, tf_keras' and `tf.compat.v1`'s VarianceScaling (Glorot, He,
  Lecun) all keep `scale`, `distribution` and `seed` as attributes. The
  result is a Keras initializer with the same seed.
  """
  distribution = getattr(initializer, "distribution", None)
  scale = getattr(initializer, "scale", None)
  if distribution is None or scale is None or not hasattr(initializer, "mode"):
    return initializer
  variance = float(scale) / max(1, dim)
  seed = getattr(initializer, "seed", None)
  seed = seed if isinstance(seed, int) else None
  if distribution == "uniform":
    limit = float(np.sqrt(3.0 * variance))
    return keras.initializers.RandomUniform(-limit, limit, seed=seed)
  if distribution in ("truncated_normal", "normal"):  # v1 "normal" truncates
    return keras.initializers.TruncatedNormal(
        stddev=float(np.sqrt(variance)) / _TRUNCATED_STDDEV, seed=seed)
  return keras.initializers.RandomNormal(stddev=float(np.sqrt(variance)),
                                         seed=seed)

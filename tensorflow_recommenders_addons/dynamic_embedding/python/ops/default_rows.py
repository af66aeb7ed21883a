"""The rows a variable returns (and, once trained, stores) for new keys."""

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
)


class RowInitializer:
  """Turns a variable's `initializer` argument into default rows.

  Accepted initializers:
  - None: zeros.
  - A number, or a list / array / tensor of `dim` numbers: that row for every
    new key.
  - A constant initializer (Keras or TF Zeros, Ones, Constant): its row.
  - Any other Keras or TF initializer, a Keras initializer name (a string,
    unless values are strings), or a callable
    `f(shape, dtype)`: called with shape `[N, dim]` on every lookup that
    misses N keys, so each of them gets its own row. Keras random initializers seeded with an
    int (or unseeded) repeat the same numbers on every call; the variable
    therefore draws from a copy seeded by a `keras.random.SeedGenerator`, which
    advances on each lookup (deterministic for a given int seed).

  Shape-dependent initializers (Keras `VarianceScaling`: Glorot, He, Lecun)
  are rejected: an embedding table has no fixed fan-in.
  """

  def __init__(self, initializer, dim, value_dtype):
    """Resolves `initializer` for rows of `dim` values of `value_dtype`.

    Raises:
      ValueError: a constant of the wrong size, or a shape-dependent
        initializer.
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
    elif isinstance(initializer, _CONSTANT_INITIALIZERS):
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
    else:
      row = tf.cast(tf.convert_to_tensor(np.asarray(value)), self._dtype)
    if row.shape.rank == 0:
      return tf.fill([self._dim], row)
    if row.shape.num_elements() != self._dim:
      raise ValueError("initializer has %d values, rows have %d (dim)" %
                       (row.shape.num_elements(), self._dim))
    return tf.reshape(row, [self._dim])

  def _fresh_random(self, initializer):
    if isinstance(initializer, keras.initializers.VarianceScaling):
      raise ValueError(
          "%s scales by the variable's shape, which an embedding table does "
          "not have; use e.g. keras.initializers.RandomNormal or "
          "TruncatedNormal" % type(initializer).__name__)
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

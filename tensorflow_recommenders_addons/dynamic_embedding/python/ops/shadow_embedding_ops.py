"""`de.shadow_ops`: lookups through a trainable wrapper the caller owns.

`de.embedding_lookup(var, ids, name=...)` makes (or finds) its wrapper by
name on every call. Upstream's `shadow_ops` let a `tf.Module` or Keras layer
make its `ShadowVariable` once, in `__init__`, and look up through it in a
`tf.function`, with nothing created during the call. Here a ShadowVariable
is a `TrainableWrapper` created explicitly and registered in its variable's
`trainable_store` under its name, so optimizers, slot names and restrict
policies treat it like the wrapper of a named lookup.

Example:
  >>> class Ranker(tf.Module):
  ...   def __init__(self, var):
  ...     self.shadow = de.shadow_ops.ShadowVariable(var, name="user")
  ...   @tf.function
  ...   def __call__(self, ids):
  ...     return de.shadow_ops.embedding_lookup(self.shadow, ids)
"""

import tensorflow as tf

from tensorflow_recommenders_addons.dynamic_embedding.python.ops import embedding_weights

TrainableWrapper = embedding_weights.TrainableWrapper


class ShadowVariable(TrainableWrapper):
  """A `TrainableWrapper` made by the caller (see the module doc).

  Args:
    params: the `de.Variable` to look up in.
    name: the lookup name (wrappers are per name, as `embedding_lookup`'s).
    max_norm: clip each looked-up row to this L2 norm, or None.
    trainable: defaults to True (False: optimizers leave it alone).
    distribute_strategy: must be None (upstream's MirroredStrategy support
      is not provided).

  Raises:
    ValueError: `params` already has a wrapper of that name.
    NotImplementedError: a distribute strategy was given.
  """

  def __init__(self,
               params,
               name="ShadowVariable",
               max_norm=None,
               trainable=True,
               distribute_strategy=None,
               **kwargs):
    del kwargs  # Upstream forwards ResourceVariable arguments; none apply.
    if distribute_strategy is not None:
      raise NotImplementedError("ShadowVariable under a distribute strategy "
                                "is not supported")
    if params.get_trainable_by_name(name) is not None:
      raise ValueError("%s already has a trainable wrapper named %r" %
                       (params.name, name))
    super().__init__(params, name, trainable=trainable)
    self.max_norm = max_norm
    params.trainable_store[name] = self


def embedding_lookup(shadow,
                     ids,
                     partition_strategy=None,
                     name=None,
                     validate_indices=None):
  """Rows of `ids` (any shape) through `shadow`: `ids.shape + [dim]`.

  In `ModelMode.TRAIN` the rows go through the shadow (its gradient trains
  them); in INFERENCE they are read from the table directly.

  Args:
    shadow: a `ShadowVariable`.
    ids: keys of the variable's key dtype.
    partition_strategy: unused (as upstream's).
    name: optional name scope.
    validate_indices: unused (as upstream's).

  Raises:
    ValueError: `ids` of another dtype than the variable's keys.
  """
  del partition_strategy, validate_indices
  ids = tf.convert_to_tensor(ids)
  if ids.dtype != shadow.params.key_dtype:
    raise ValueError("%s ids is not matched with ShadowVariable with ids %s" %
                     (ids.dtype, shadow.params.key_dtype))
  with tf.name_scope(name or "shadow_embedding_lookup"):
    return shadow.lookup(ids, max_norm=getattr(shadow, "max_norm", None))


def embedding_lookup_unique_base(ids,
                                 embedding_size,
                                 lookup_function,
                                 with_unique=True,
                                 name=None):
  """`lookup_function` over the (unique) flat ids of `ids`, reshaped to
  `ids.shape + [embedding_size]`; a `tf.RaggedTensor` keeps its rows."""
  ragged = isinstance(ids, tf.RaggedTensor)
  flat_ids = ids.flat_values if ragged else tf.convert_to_tensor(ids)
  shape = tf.concat([tf.shape(flat_ids), [embedding_size]], 0)
  flat = tf.reshape(flat_ids, [-1])
  with tf.name_scope(name or "EmbeddingWithUnique"):
    if with_unique:
      unique_ids, index = tf.unique(flat)
      rows = tf.gather(lookup_function(unique_ids), index)
    else:
      rows = lookup_function(flat)
  rows = tf.reshape(rows, shape)
  if ragged:
    return tf.RaggedTensor.from_row_lengths(rows, ids.row_lengths())
  return rows


def embedding_lookup_unique(shadow,
                            ids,
                            embedding_size,
                            with_unique=True,
                            name=None):
  """`embedding_lookup` of `ids` (a tensor or `tf.RaggedTensor`), looking up
  each distinct id once when `with_unique`."""
  return embedding_lookup_unique_base(
      ids, embedding_size, lambda flat: embedding_lookup(shadow, flat),
      with_unique, name)

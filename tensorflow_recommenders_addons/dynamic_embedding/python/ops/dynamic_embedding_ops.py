"""Lookups of `de.Variable`s: dense ids, unique ids, and sparse ids.

Training lookups go through a `TrainableWrapper` keyed by the lookup's name
(created on first use, reused by later calls and retraces), so a
`DynamicEmbeddingOptimizer` can train the rows. Ids are always de-duplicated
before reaching the table.
"""

import inspect

import tensorflow as tf

from tensorflow_recommenders_addons.dynamic_embedding.python.ops import dynamic_embedding_variable
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import embedding_weights as weights_lib

_COMBINERS = ("mean", "sqrtn", "sum")


def _single_params(params):
  """The one `Variable` or `TrainableWrapper` in `params`."""
  if isinstance(params, (list, tuple)):
    if len(params) != 1:
      raise ValueError("params must hold exactly one de.Variable, got %d" %
                       len(params))
    params = params[0]
  if not isinstance(params, (dynamic_embedding_variable.Variable,
                             weights_lib.TrainableWrapper)):
    raise TypeError("params must be a de.Variable or TrainableWrapper, got %r" %
                    (params,))
  return params


def embedding_lookup(params,
                     ids,
                     partition_strategy=None,
                     name=None,
                     validate_indices=None,
                     max_norm=None,
                     return_trainable=False):
  """Trainable rows of `ids` (any shape): `ids.shape + [dim]`.

  Example:
    >>> var = de.get_variable("user_emb", dim=4)
    >>> emb = de.embedding_lookup(var, tf.constant([[1, 2]], tf.int64),
    ...                           name="user")
    >>> emb.shape
    TensorShape([1, 2, 4])

  Args:
    params: a `de.Variable`, a one-element list of one, or a
      `TrainableWrapper` (e.g. a layer's `shadow`).
    ids: keys of the variable's key dtype.
    partition_strategy: ignored (the variable's partitioner decides).
    name: names the `TrainableWrapper` carrying gradients (reuse the same
      name across steps); required eagerly for a `de.Variable`. In a graph
      None gives the lookup a wrapper of its own, as upstream.
    validate_indices: ignored.
    max_norm: if set, rows are clipped to this L2 norm (output only).
    return_trainable: also return the wrapper.

  Returns:
    The rows, or `(rows, wrapper)` when `return_trainable`.

  Raises:
    TypeError: wrong params type or ids dtype.
    ValueError: several params, or no name while executing eagerly.
  """
  del partition_strategy, validate_indices  # Unused, see Args.
  params = _single_params(params)
  if isinstance(params, weights_lib.TrainableWrapper):
    rows = params.lookup(ids, max_norm=max_norm)
    return (rows, params) if return_trainable else rows
  return weights_lib.trainable_lookup(params, ids, name=name,
                                            max_norm=max_norm,
                                            return_trainable=return_trainable)


def embedding_lookup_unique(*args, **kwargs):
  """`embedding_lookup` (which de-duplicates ids already); same arguments."""
  return embedding_lookup(*args, **kwargs)


embedding_lookup_unique.__signature__ = inspect.signature(embedding_lookup)


def embedding_lookup_sparse(params,
                            sp_ids,
                            sp_weights,
                            partition_strategy=None,
                            name="embedding_lookup_sparse",
                            combiner="mean",
                            max_norm=None,
                            return_trainable=False):
  """Combined rows of each row of a sparse id matrix: `[d0, dim]`.

  Args:
    params: as in `embedding_lookup`.
    sp_ids: `SparseTensor` `[d0, d1]` of ids (row-major indices).
    sp_weights: `SparseTensor` of weights with the same indices, or None
      (all weights 1).
    partition_strategy: ignored.
    name: lookup (wrapper) name.
    combiner: "sum", "mean" (weighted mean) or "sqrtn" (sum divided by the
      L2 norm of the weights).
    max_norm: clip rows before combining.
    return_trainable: also return the wrapper.

  Returns:
    `[d0, dim]` (float32 for float16/bfloat16 variables), rows without ids
    are zeros; or `(result, wrapper)`.

  Raises:
    TypeError: `sp_ids` / `sp_weights` are not SparseTensors.
    ValueError: unknown combiner.
  """
  del partition_strategy  # Unused.
  if combiner not in _COMBINERS:
    raise ValueError("combiner must be one of %s, got %r" %
                     (_COMBINERS, combiner))
  if not isinstance(sp_ids, tf.SparseTensor):
    raise TypeError("sp_ids must be a SparseTensor, got %r" % (sp_ids,))
  if sp_weights is not None and not isinstance(sp_weights, tf.SparseTensor):
    raise TypeError("sp_weights must be a SparseTensor or None")
  with tf.name_scope(name or "embedding_lookup_sparse"):
    segments = sp_ids.indices[:, 0]
    num_rows = sp_ids.dense_shape[0]
    unique_ids, index = tf.unique(sp_ids.values, out_idx=tf.int32)
    rows, wrapper = embedding_lookup(params, unique_ids, name=name,
                                     max_norm=max_norm, return_trainable=True)
    if rows.dtype in (tf.float16, tf.bfloat16):
      rows = tf.cast(rows, tf.float32)
    if sp_weights is None:
      combine = {"sum": tf.sparse.segment_sum, "mean": tf.sparse.segment_mean,
                 "sqrtn": tf.sparse.segment_sqrt_n}[combiner]
      result = combine(rows, index, segments, num_segments=num_rows)
    else:
      weights = tf.cast(sp_weights.values, rows.dtype)
      weighted = tf.gather(rows, index) * weights[:, None]
      result = tf.math.unsorted_segment_sum(weighted, segments, num_rows)
      if combiner != "sum":
        norm = weights if combiner == "mean" else tf.square(weights)
        norm = tf.math.unsorted_segment_sum(norm, segments, num_rows)
        if combiner == "sqrtn":
          norm = tf.sqrt(norm)
        result = tf.math.divide_no_nan(result, norm[:, None])
  return (result, wrapper) if return_trainable else result


def safe_embedding_lookup_sparse(embedding_weights,
                                 sparse_ids,
                                 sparse_weights=None,
                                 combiner="mean",
                                 default_id=None,
                                 name="safe_embedding_lookup_sparse",
                                 partition_strategy=None,
                                 max_norm=None,
                                 return_trainable=False):
  """`embedding_lookup_sparse` that tolerates empty rows and rank > 2 ids.

  Ids of shape `[d0, ..., dn]` give `[d0, ..., d(n-1), dim]`. Weights <= 0 are
  pruned (unless combiner is "sum"). Empty rows look up `default_id` (weight
  1); with `default_id=None` they look up id 0 and come out as zeros.

  Args: as `embedding_lookup_sparse`; `embedding_weights` is the variable.
  """
  del partition_strategy  # Unused.
  with tf.name_scope(name or "safe_embedding_lookup_sparse"):
    original_shape = sparse_ids.dense_shape
    outer = original_shape[:-1]
    flat_rows = tf.reduce_prod(outer)
    new_shape = tf.stack([flat_rows, original_shape[-1]])
    sparse_ids = tf.sparse.reshape(sparse_ids, new_shape)
    if sparse_weights is not None:
      sparse_weights = tf.sparse.reshape(sparse_weights, new_shape)
      if combiner != "sum":
        keep = sparse_weights.values > 0
        sparse_ids = tf.sparse.retain(sparse_ids, keep)
        sparse_weights = tf.sparse.retain(sparse_weights, keep)
    fill_id = tf.cast(default_id or 0, sparse_ids.dtype)
    sparse_ids, empty = tf.sparse.fill_empty_rows(sparse_ids, fill_id)
    if sparse_weights is not None:
      sparse_weights, _ = tf.sparse.fill_empty_rows(
          sparse_weights, tf.ones([], sparse_weights.dtype))
    result = embedding_lookup_sparse(embedding_weights, sparse_ids,
                                     sparse_weights, name=name,
                                     combiner=combiner, max_norm=max_norm,
                                     return_trainable=return_trainable)
    result, wrapper = result if return_trainable else (result, None)
    if default_id is None:
      result = tf.where(empty[:, None], tf.zeros_like(result), result)
    dim = tf.shape(result)[-1:]
    result = tf.reshape(result, tf.concat([outer, tf.cast(dim, tf.int64)], 0))
  return (result, wrapper) if return_trainable else result


def trainable_wrapper_filter(iterable, test_fn=None):
  """Splits `iterable` into `(others, wrappers)` tuples.

  Args:
    iterable: variables (or anything).
    test_fn: predicate picking wrappers; default: is a `TrainableWrapper`.
  """
  test_fn = test_fn or (lambda x: isinstance(x, weights_lib.TrainableWrapper))
  items = list(iterable)
  return (tuple(x for x in items if not test_fn(x)),
          tuple(x for x in items if test_fn(x)))

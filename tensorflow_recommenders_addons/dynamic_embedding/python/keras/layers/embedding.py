"""Keras layers whose embedding rows live in a `de.Variable`.

They subclass the `Layer` of the Keras generation `tf.keras` names: Keras 3 by
default, tf_keras (Keras 2) when TF_USE_LEGACY_KERAS=1 is set before
TensorFlow is imported. Train them with an optimizer of that generation
wrapped by `de.DynamicEmbeddingOptimizer`.
"""

import keras
import tensorflow as tf

from tensorflow_recommenders_addons.dynamic_embedding.python.keras import table_weights
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import dynamic_embedding_creator
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import dynamic_embedding_variable
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import embedding_weights
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import replica_rows

# tf.keras's Layer; under tf_keras it is not a Keras 3 layer.
_Layer = tf.keras.layers.Layer
_KERAS2 = not issubclass(_Layer, keras.layers.Layer)

_VARIABLE_KWARGS = {
    "partitioner": dynamic_embedding_variable.default_partition_fn,
    "checkpoint": True,
    "init_capacity": 0,
    "kv_creator": None,
    "restrict_policy": None,
    "bp_v2": False,
    "short_file_name": False,
}


class Embedding(_Layer):
  """Looks up ids (any shape, or ragged) in an unbounded embedding table.

  Output shape: `ids.shape + [embedding_size]`. The table is the `de.Variable`
  `self.params` (`get_variable("<name>-parameter")`: layers with the same name
  share it until `keras.backend.clear_session()`); `self.shadow` is the
  `TrainableWrapper` Keras trains (`trainable_weights == [shadow]` under
  Keras 3; under tf_keras its `rows_variable`).
  Training calls (`training=True` or unset, in `ModelMode.TRAIN`) go through
  the wrapper; `training=False` (predict / evaluate) reads the table
  directly. Calls never insert keys; the optimizer does.

  Example:
    >>> ids = keras.Input(shape=(3,), dtype="int64")
    >>> emb = de.keras.layers.Embedding(8, name="item_emb")(ids)
    >>> out = keras.layers.Dense(1)(keras.layers.Flatten()(emb))
    >>> model = keras.Model(ids, out)
    >>> model.compile(de.DynamicEmbeddingOptimizer(keras.optimizers.Adam()),
    ...               loss="mse")

  Args:
    embedding_size: row width (int).
    key_dtype: id dtype.
    value_dtype: row dtype.
    combiner: kept for config (used by subclasses).
    initializer: rows of new ids (default `RandomNormal(stddev=0.05)`); see
      `de.Variable`.
    devices: shard devices of the table.
    name: layer name (also names the table).
    with_unique: kept for API compatibility; ids are always de-duplicated.
    **kwargs: `trainable`, `max_norm`, `keep_distribution`, `partitioner`,
      `checkpoint`, `init_capacity`, `kv_creator`, `restrict_policy`,
      `bp_v2`, `short_file_name`, `distribute_strategy`, and Keras `Layer`
      arguments. `distribute_strategy`: the `tf.distribute` strategy whose
      replicas will train the layer; its `shadow` gets one row buffer per
      replica (as when the layer is made under `strategy.scope()`, whose
      strategy wins when both are given).

  Raises:
    TypeError: `embedding_size` is not an int.
  """

  def __init__(self,
               embedding_size,
               key_dtype=tf.int64,
               value_dtype=tf.float32,
               combiner="sum",
               initializer=None,
               devices=None,
               name="DynamicEmbeddingLayer",
               with_unique=True,
               **kwargs):
    try:
      embedding_size = int(embedding_size)
    except (TypeError, ValueError) as e:
      raise TypeError("embedding_size must be an int, got %r" %
                      (embedding_size,)) from e
    trainable = kwargs.pop("trainable", True)
    max_norm = kwargs.pop("max_norm", None)
    keep_distribution = kwargs.pop("keep_distribution", False)
    variable_kwargs = {k: kwargs.pop(k, v) for k, v in _VARIABLE_KWARGS.items()}
    self.distribute_strategy = kwargs.pop("distribute_strategy", None)
    super().__init__(name=name, trainable=trainable, **kwargs)
    self.embedding_size = embedding_size
    self.max_norm = max_norm
    self.keep_distribution = keep_distribution
    self.combiner = combiner
    self.with_unique = with_unique
    self.supports_jit = False  # Table ops have no XLA kernels.
    if initializer is None:
      initializer = keras.initializers.RandomNormal(stddev=0.05)
    elif isinstance(initializer, dict):  # From get_config.
      initializer = keras.initializers.get(initializer)
    variable_kwargs["kv_creator"] = dynamic_embedding_creator.deserialize_creator(
        variable_kwargs["kv_creator"])
    self._variable_kwargs = variable_kwargs
    self.params = dynamic_embedding_variable.get_variable(
        "%s-parameter" % name,
        key_dtype=key_dtype,
        value_dtype=value_dtype,
        dim=self.embedding_size,
        devices=devices,
        partitioner=variable_kwargs["partitioner"],
        shared_name="layer_embedding_variable",
        initializer=initializer,
        trainable=trainable,
        checkpoint=variable_kwargs["checkpoint"],
        init_size=variable_kwargs["init_capacity"],
        kv_creator=variable_kwargs["kv_creator"],
        restrict_policy=variable_kwargs["restrict_policy"],
        bp_v2=variable_kwargs["bp_v2"],
        short_file_name=variable_kwargs["short_file_name"])
    with replica_rows.scope_of(self.distribute_strategy):
      self.shadow = embedding_weights.get_or_create_wrapper(
          self.params,
          "%s/%s-shadow" % (embedding_weights.LAYER_LOOKUP_SCOPE, name))
    if _KERAS2:
      # tf_keras tracks tf.Variable attributes as the layer's weights.
      self.shadow_rows = self.shadow.rows_variable

  def call(self, ids, training=None):
    if isinstance(ids, tf.SparseTensor):
      raise TypeError("%s: SparseTensor ids are not supported" % self.name)
    if isinstance(ids, tf.RaggedTensor):
      return tf.ragged.map_flat_values(self._lookup, ids, training)
    return self._lookup(ids, training)

  def _lookup(self, ids, training):
    ids = self._as_key_dtype(ids)
    if training is False or not self.trainable or not self.params.trainable:
      # Inference: absent ids get the fixed default row, so every process
      # serving the model predicts the same.
      rows = self.params.lookup(ids, dynamic_defaults=False)
      if self.max_norm is not None:
        rows = tf.clip_by_norm(rows, self.max_norm, axes=[-1])
      return rows
    return self.shadow.lookup(ids, max_norm=self.max_norm)

  def _as_key_dtype(self, ids):
    ids = tf.convert_to_tensor(ids)
    key_dtype = self.params.key_dtype
    if ids.dtype == key_dtype:
      return ids
    if ids.dtype.is_integer and key_dtype.is_integer and (ids.dtype.size <=
                                                          key_dtype.size):
      return tf.cast(ids, key_dtype)  # Widening only: no id changes.
    raise TypeError("%s: ids must be %s, got %s" %
                    (self.name, key_dtype.name, ids.dtype.name))

  def compute_output_spec(self, ids, training=None):
    del training
    return keras.KerasTensor(tuple(ids.shape) + (self.embedding_size,),
                             dtype=self.params.value_dtype.name)

  def compute_output_shape(self, input_shape):
    return tuple(input_shape) + (self.embedding_size,)

  def _saved_variables(self):
    """The variables whose tables Keras weight files hold: the table and a
    restrict policy's status."""
    policy = self.params.restrict_policy
    return [self.params] + ([policy.status] if policy is not None else [])

  def save_own_variables(self, store):
    """Writes the table into a Keras weight file (`model.save("x.keras")`,
    `save_weights`): its rows, or nothing for Redis `table_store_mode` 1 and
    2 (see table_weights.py)."""
    table_weights.save(self._saved_variables(), store)

  def load_own_variables(self, store):
    table_weights.load(self._saved_variables(), store)

  def get_config(self):
    config = super().get_config()
    config.update({
        "embedding_size": self.embedding_size,
        "key_dtype": self.params.key_dtype.name,
        "value_dtype": self.params.value_dtype.name,
        "combiner": self.combiner,
        "initializer": _serialize_initializer(self.params.initializer),
        "with_unique": self.with_unique,
        "max_norm": None,
        "bp_v2": self._variable_kwargs["bp_v2"],
        "init_capacity": self._variable_kwargs["init_capacity"],
        "checkpoint": self._variable_kwargs["checkpoint"],
        "restrict_policy": _policy_name(self.params.restrict_policy),
        # The backend, so a loaded model reopens the same tables.
        "kv_creator": dynamic_embedding_creator.serialize_creator(
            self.params.kv_creator),
    })
    if self.keep_distribution:
      config["devices"] = self.params.devices
    return config


BasicEmbedding = Embedding


def _policy_name(policy):
  """The class name of a restrict policy (JSON-safe), or None; the layer's
  constructor takes either the class or its name."""
  return None if policy is None else type(policy).__name__


def _serialize_initializer(initializer):
  if isinstance(initializer, keras.initializers.Initializer):
    return keras.initializers.serialize(initializer)
  return initializer if isinstance(initializer, (int, float, str)) else None


class SquashedEmbedding(Embedding):
  """`Embedding` reduced over every axis between the first and the last.

  ids `(b, s1, ..., sn)` give `(b, embedding_size)`; `combiner` names a
  `tf.math.reduce_*` function ("sum", "mean", "max", "min", "prod", ...).
  """

  def call(self, ids, training=None):
    rows = super().call(ids, training)
    reduce = getattr(tf.math, "reduce_%s" % self.combiner)
    if rows.shape.rank <= 2:
      return reduce(rows, axis=0) if rows.shape.rank == 2 else rows
    return reduce(rows, axis=list(range(1, rows.shape.rank - 1)))

  def compute_output_spec(self, ids, training=None):
    del training
    shape = (ids.shape[0],) if len(ids.shape) > 1 else ()
    return keras.KerasTensor(shape + (self.embedding_size,),
                             dtype=self.params.value_dtype.name)


# FieldWiseEmbedding's combiners, by upstream's names.
_FIELD_COMBINERS = {
    "sum": tf.math.unsorted_segment_sum,
    "mean": tf.math.unsorted_segment_mean,
    "sqrt_n": tf.math.unsorted_segment_sqrt_n,
}


class FieldWiseEmbedding(Embedding):
  """Combines the rows of each example by field: `(b, n)` ids give
  `(b, nslots, embedding_size)`.

  `slot_map_fn(ids)` maps every id to its field in `[0, nslots)`; rows of the
  same field are combined with `combiner`: "sum", "mean" or "sqrt_n" (the
  sum divided by the square root of the count), upstream's names (those of
  `tf.sparse.segment_*`).

  Raises:
    ValueError: `slot_map_fn` is not callable, or an unknown combiner.
    TypeError: `nslots` is not an int.
  """

  def __init__(self,
               embedding_size,
               nslots,
               slot_map_fn=None,
               key_dtype=tf.int64,
               value_dtype=tf.float32,
               combiner="sum",
               initializer=None,
               devices=None,
               name="SlotDynamicEmbeddingLayer",
               with_unique=True,
               **kwargs):
    if not callable(slot_map_fn):
      raise ValueError("slot_map_fn must be callable, got %r" % (slot_map_fn,))
    if combiner not in _FIELD_COMBINERS:
      raise ValueError("combiner must be one of %s, got %r" %
                       (sorted(_FIELD_COMBINERS), combiner))
    try:
      nslots = int(nslots)
    except (TypeError, ValueError) as e:
      raise TypeError("nslots must be an int, got %r" % (nslots,)) from e
    super().__init__(embedding_size, key_dtype, value_dtype, combiner,
                     initializer, devices, name, with_unique, **kwargs)
    self.nslots = nslots
    self.slot_map_fn = slot_map_fn

  def call(self, ids, training=None):
    ids = self._as_key_dtype(ids)
    if ids.shape.rank != 2:
      raise NotImplementedError("FieldWiseEmbedding needs ids of rank 2")
    rows = super().call(ids, training)
    batch = tf.shape(ids)[0]
    fields = tf.cast(self.slot_map_fn(ids), tf.int32)
    segments = tf.range(batch)[:, None] * self.nslots + fields
    combine = _FIELD_COMBINERS[self.combiner]
    combined = combine(tf.reshape(rows, [-1, self.embedding_size]),
                       tf.reshape(segments, [-1]), batch * self.nslots)
    return tf.reshape(combined, [-1, self.nslots, self.embedding_size])

  def compute_output_spec(self, ids, training=None):
    del training
    return keras.KerasTensor((ids.shape[0], self.nslots, self.embedding_size),
                             dtype=self.params.value_dtype.name)

  def get_config(self):
    config = super().get_config()
    config.update({"nslots": self.nslots, "slot_map_fn": self.slot_map_fn})
    return config

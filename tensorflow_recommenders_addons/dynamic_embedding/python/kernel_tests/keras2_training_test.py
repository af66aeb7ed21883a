"""The package under tf_keras (Keras 2): `TF_USE_LEGACY_KERAS=1`, which the
Bazel target `keras2_training_test` sets.

`de.keras.layers` are then tf_keras layers and `DynamicEmbeddingOptimizer`
takes tf_keras optimizers, current and legacy. The central check: a model
with a dynamic Embedding layer trained by `model.fit` follows exactly the
trajectory of the same model with tf_keras's own Embedding layer (every
batch holds every id, so every row is updated in both). Checkpoints hold the
tables and slot tables of such a model.
"""

import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests.training_util import sorted_export

_VOCAB, _DIM, _WIDTH, _EPOCHS = 6, 3, 2, 3
K = tf.keras

_OPTIMIZERS = {
    "adam": lambda: K.optimizers.Adam(0.05),
    "legacy_adam": lambda: K.optimizers.legacy.Adam(0.05),
    "legacy_adagrad": lambda: K.optimizers.legacy.Adagrad(0.1),
    "ftrl": lambda: K.optimizers.Ftrl(0.1),
}


@pytest.fixture(autouse=True)
def tf_keras_session():
  assert not issubclass(K.layers.Layer, keras.layers.Layer), (
      "run with TF_USE_LEGACY_KERAS=1 (the Bazel target sets it)")
  K.backend.clear_session()
  yield
  K.backend.clear_session()


def _data():
  """Examples whose ids in each batch of 3 are a permutation of the vocab."""
  rng = np.random.default_rng(5)
  ids = np.concatenate([rng.permutation(_VOCAB).reshape(-1, _WIDTH)
                        for _ in range(4)]).astype(np.int64)
  y = rng.normal(size=(len(ids), 1)).astype(np.float32)
  return ids, y


def _initial_values():
  rng = np.random.default_rng(1)
  return (rng.normal(size=(_VOCAB, _DIM)).astype(np.float32),
          rng.normal(size=(_DIM * _WIDTH, 1)).astype(np.float32))


def _model(embedding):
  _, w0 = _initial_values()
  ids = K.Input(shape=(_WIDTH,), dtype="int64")
  hidden = K.layers.Flatten()(embedding(ids))
  out = K.layers.Dense(1, use_bias=False,
                       kernel_initializer=K.initializers.Constant(w0))(hidden)
  return K.Model(ids, out)


def _fit(model, optimizer):
  ids, y = _data()
  model.compile(optimizer=optimizer, loss="mse")
  history = model.fit(ids, y, batch_size=_VOCAB // _WIDTH, epochs=_EPOCHS,
                      shuffle=False, verbose=0)
  return history.history["loss"]


def _dynamic_model(kv_creator, name):
  table0, _ = _initial_values()
  layer = de.keras.layers.Embedding(_DIM, name=name, kv_creator=kv_creator)
  layer.params.upsert(tf.range(_VOCAB, dtype=tf.int64), table0)
  return _model(layer), layer


@pytest.mark.parametrize("name", sorted(_OPTIMIZERS))
def test_fit_follows_the_trajectory_of_tf_keras_embedding(
    kv_creator, unique_name, name):
  table0, _ = _initial_values()
  dense = _model(K.layers.Embedding(
      _VOCAB, _DIM, embeddings_initializer=K.initializers.Constant(table0)))
  expected_losses = _fit(dense, _OPTIMIZERS[name]())
  model, layer = _dynamic_model(kv_creator, unique_name)
  assert isinstance(layer, K.layers.Layer)
  assert [w.name.split(":")[0] for w in layer.trainable_weights] == [
      "DynamicEmbedding_%s-shadow" % unique_name]

  losses = _fit(model, de.DynamicEmbeddingOptimizer(_OPTIMIZERS[name]()))

  np.testing.assert_allclose(losses, expected_losses, rtol=1e-5)
  np.testing.assert_allclose(
      layer.params.lookup(tf.range(_VOCAB, dtype=tf.int64)),
      dense.layers[1].embeddings.numpy(), rtol=1e-5, atol=1e-6)
  ids, _ = _data()
  np.testing.assert_allclose(model.predict(ids, verbose=0),
                             dense.predict(ids, verbose=0), rtol=1e-5,
                             atol=1e-6)


@pytest.mark.parametrize("name", ["adam", "legacy_adam"])
def test_checkpoint_restores_tables_and_slot_tables(kv_creator, unique_name,
                                                    name, tmp_path):
  model, layer = _dynamic_model(kv_creator, unique_name)
  optimizer = de.DynamicEmbeddingOptimizer(_OPTIMIZERS[name]())
  _fit(model, optimizer)
  tracked = [layer.params] + layer.params.get_slot_variables(optimizer)
  assert [v.name for v in tracked[1:]] == [
      "%s-parameter/DynamicEmbedding/%s-shadow/%s" % (unique_name, unique_name,
                                                      slot)
      for slot in ("m", "v")
  ]
  checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer)
  path = checkpoint.save(str(tmp_path / "ckpt"))
  saved = [sorted_export(v) for v in tracked]
  for v in tracked:
    v.upsert(tf.constant([100, 1], tf.int64), tf.fill([2, _DIM], 9.0))

  checkpoint.restore(path).assert_existing_objects_matched()

  for v, (keys, values) in zip(tracked, saved):
    restored_keys, restored_values = sorted_export(v)
    np.testing.assert_array_equal(restored_keys, keys)
    np.testing.assert_array_equal(restored_values, values)


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

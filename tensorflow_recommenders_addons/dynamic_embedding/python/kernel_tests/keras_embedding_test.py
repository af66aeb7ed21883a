"""de.keras.layers.Embedding trained with model.fit and custom loops."""

import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import training_util as tu
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests.training_util import sorted_export

pytestmark = pytest.mark.usefixtures("fresh_session")

_VOCAB = 40

_OPTIMIZERS = {
    "sgd": lambda: keras.optimizers.SGD(0.2),
    "adagrad": lambda: keras.optimizers.Adagrad(0.3),
    "adam": lambda: keras.optimizers.Adam(0.03),
}


def _data(n=512, width=3, seed=0):
  """ids (n, width) and y = sum of a hidden per-id value."""
  rng = np.random.default_rng(seed)
  hidden = rng.normal(size=_VOCAB).astype(np.float32)
  ids = rng.integers(0, _VOCAB, size=(n, width)).astype(np.int64)
  return ids, hidden[ids].sum(axis=1, keepdims=True)


def _model(name, kv_creator=None, trainable=True, width=3):
  ids = keras.Input(shape=(width,), dtype="int64")
  layer = de.keras.layers.Embedding(4, name=name, kv_creator=kv_creator,
                                    trainable=trainable)
  hidden = keras.layers.Flatten()(layer(ids))
  out = keras.layers.Dense(1, name=name + "_dense")(hidden)
  return keras.Model(ids, out), layer


def _compiled(name, kv_creator, optimizer_name="adam", trainable=True):
  model, layer = _model(name, kv_creator, trainable)
  optimizer = de.DynamicEmbeddingOptimizer(_OPTIMIZERS[optimizer_name]())
  model.compile(optimizer=optimizer, loss="mse")
  return model, layer, optimizer


@pytest.mark.parametrize("optimizer_name", sorted(_OPTIMIZERS))
def test_fit_lowers_the_loss_and_trains_tables_and_slots(
    kv_creator, unique_name, optimizer_name):
  model, layer, optimizer = _compiled(unique_name, kv_creator, optimizer_name)
  x, y = _data()
  first = model.fit(x, y, batch_size=32, epochs=1, verbose=0).history["loss"]
  rows_after_one = sorted_export(layer.params)
  slots = layer.params.get_slot_variables(optimizer)
  slots_after_one = [sorted_export(s) for s in slots]
  later = model.fit(x, y, batch_size=32, epochs=5, verbose=0).history["loss"]
  assert later[-1] < 0.5 * first[0]
  keys, rows = sorted_export(layer.params)
  np.testing.assert_array_equal(keys, np.unique(x))
  np.testing.assert_array_equal(keys, rows_after_one[0])
  assert not np.allclose(rows, rows_after_one[1])
  assert len(slots) == {"sgd": 0, "adagrad": 1, "adam": 2}[optimizer_name]
  for slot, (slot_keys, slot_rows) in zip(slots, slots_after_one):
    np.testing.assert_array_equal(slot_keys, keys)
    assert not np.allclose(sorted_export(slot)[1], slot_rows)


def test_predict_and_evaluate_never_insert_keys(kv_creator, unique_name):
  model, layer, _ = _compiled(unique_name, kv_creator)
  x, y = _data(n=64)
  model.predict(x, verbose=0)
  model.evaluate(x, y, verbose=0)
  assert int(layer.params.size()) == 0
  model.fit(x[:32], y[:32], batch_size=32, epochs=1, verbose=0)
  assert int(layer.params.size()) == len(np.unique(x[:32]))


def test_layer_exposes_only_its_wrapper_to_keras(unique_name):
  model, layer = _model(unique_name)
  assert layer.trainable_weights == [layer.shadow]
  assert layer.shadow.shape == (0, 4) and layer.count_params() == 0
  assert layer.params.name == "%s-parameter" % unique_name
  assert layer.params is de.get_variable("%s-parameter" % unique_name, dim=4)
  model.summary(print_fn=lambda *args, **kwargs: None)


def test_layer_keeps_the_shape_of_any_ids(unique_name):
  layer = de.keras.layers.Embedding(2, name=unique_name, initializer=1.0)
  assert layer(tf.constant([1, 2, 3], tf.int64)).shape == (3, 2)
  assert layer(tf.zeros([2, 3, 4], tf.int64)).shape == (2, 3, 4, 2)
  assert layer(tf.constant([1, 2], tf.int32)).shape == (2, 2)
  ragged = layer(tf.ragged.constant([[1, 2, 3], [4]], dtype=tf.int64))
  assert isinstance(ragged, tf.RaggedTensor)
  np.testing.assert_array_equal(ragged.row_lengths(), [3, 1])
  with pytest.raises(TypeError):
    layer(tf.constant(["a"]))


def _two_input_model(name, shared):
  """Two id inputs embedded by one layer: called once per input (`shared`)
  or once on both inputs joined."""
  first = keras.Input(shape=(2,), dtype="int64")
  second = keras.Input(shape=(2,), dtype="int64")
  layer = de.keras.layers.Embedding(3, name=name, initializer=0.5)
  if shared:
    rows = keras.layers.Concatenate(axis=1)([layer(first), layer(second)])
  else:
    rows = layer(keras.layers.Concatenate(axis=1)([first, second]))
  output = keras.layers.Dense(1, kernel_initializer="ones")(
      keras.layers.Flatten()(rows))
  model = keras.Model([first, second], output)
  model.compile(de.DynamicEmbeddingOptimizer(keras.optimizers.Adam(0.05)),
                "mse")
  return model, layer


def test_a_layer_shared_by_two_inputs_trains_as_one_lookup_of_both(
    unique_name):
  rng = np.random.default_rng(4)
  x = [rng.integers(0, 6, (16, 2)), rng.integers(3, 9, (16, 2))]
  y = rng.normal(size=(16, 1)).astype(np.float32)
  tables = []
  for shared in (True, False):
    model, layer = _two_input_model("%s_%d" % (unique_name, shared), shared)
    assert model.predict(x, verbose=0).shape == (16, 1)  # Reads only.
    model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    tables.append(layer.params.lookup(tf.range(10, dtype=tf.int64)).numpy())
    assert int(layer.params.size()) == 9  # Ids 0..8 of both inputs.
  np.testing.assert_allclose(tables[0], tables[1], rtol=1e-5, atol=1e-6)


def test_frozen_layer_keeps_its_table_while_dense_layers_train(
    kv_creator, unique_name):
  model, layer, _ = _compiled(unique_name, kv_creator, trainable=False)
  assert layer.trainable_weights == []
  kernel_before = model.get_layer(unique_name + "_dense").kernel.numpy()
  x, y = _data(n=64)
  model.fit(x, y, batch_size=32, epochs=1, verbose=0)
  assert int(layer.params.size()) == 0
  assert not np.allclose(model.get_layer(unique_name + "_dense").kernel,
                         kernel_before)


def test_custom_tape_loop_in_tf_function_lowers_the_loss(kv_creator,
                                                         unique_name):
  model, layer = _model(unique_name, kv_creator)
  optimizer = de.DynamicEmbeddingOptimizer(keras.optimizers.Adam(0.03))

  @tf.function
  def step(x, y):
    with tf.GradientTape() as tape:
      loss = tf.reduce_mean((model(x, training=True) - y)**2)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss

  x, y = _data()
  losses = [float(step(x[i:i + 32], y[i:i + 32]))
            for _ in range(4) for i in range(0, len(x), 32)]
  assert np.mean(losses[-16:]) < 0.5 * np.mean(losses[:16])
  assert int(layer.params.size()) == len(np.unique(x))


def test_checkpoint_restores_embeddings_and_slots_exactly(
    kv_creator, unique_name, tmp_path):
  model, layer, optimizer = _compiled(unique_name, kv_creator)
  x, y = _data(n=128)
  model.fit(x[:64], y[:64], batch_size=32, epochs=1, verbose=0)
  checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer)
  path = checkpoint.save(str(tmp_path / "ckpt"))
  tables = [layer.params] + layer.params.get_slot_variables(optimizer)
  saved = [sorted_export(t) for t in tables]
  model.fit(x + _VOCAB, y, batch_size=32, epochs=1, verbose=0)  # Adds keys.
  model.fit(x, y, batch_size=32, epochs=1, verbose=0)  # Changes rows.
  assert int(layer.params.size()) > len(saved[0][0])
  checkpoint.restore(path)
  for table, contents in zip(tables, saved):
    tu.assert_same_contents(table, contents)


def test_checkpoint_restores_into_a_new_model(kv_creator, unique_name,
                                              tmp_path):
  model, layer, optimizer = _compiled(unique_name, kv_creator)
  x, y = _data(n=64)
  model.fit(x, y, batch_size=32, epochs=1, verbose=0)
  path = tf.train.Checkpoint(model=model, optimizer=optimizer).save(
      str(tmp_path / "ckpt"))
  saved = [sorted_export(t) for t in [layer.params] +
           layer.params.get_slot_variables(optimizer)]
  expected_predictions = model.predict(x, verbose=0)
  keras.backend.clear_session()
  new_model, new_layer, new_optimizer = _compiled(unique_name, kv_creator)
  assert new_layer.params is not layer.params
  tf.train.Checkpoint(model=new_model, optimizer=new_optimizer).restore(path)
  new_optimizer.build(new_model.trainable_variables)  # Slots restore here.
  new_tables = [new_layer.params] + new_layer.params.get_slot_variables(
      new_optimizer)
  assert len(new_tables) == 3
  for table, contents in zip(new_tables, saved):
    tu.assert_same_contents(table, contents)
  np.testing.assert_allclose(new_model.predict(x, verbose=0),
                             expected_predictions, rtol=1e-6)


class _Serving(tf.Module):

  def __init__(self, model):
    super().__init__()
    self.model = model

  @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.int64)])
  def __call__(self, ids):
    return self.model(ids, training=False)


def test_saved_model_serves_the_trained_table(unique_name, tmp_path):
  model, _, _ = _compiled(unique_name, None)
  x, y = _data(n=64)
  model.fit(x, y, batch_size=32, epochs=1, verbose=0)
  tf.saved_model.save(_Serving(model), str(tmp_path / "served"))
  loaded = tf.saved_model.load(str(tmp_path / "served"))
  np.testing.assert_allclose(loaded(tf.constant(x)), model.predict(x, verbose=0),
                             rtol=1e-6)
  # Only what loading restores is saved: no wrapper's per-step ids buffer
  # (Keras' own default signature of the model was traced as inference).
  saved = tf.train.list_variables(str(tmp_path / "served" / "variables" /
                                      "variables"))
  assert not [name for name, _ in saved if "ids" in name.split("/")], saved


def test_field_wise_embedding_combines_rows_per_field(unique_name):
  layer = de.keras.layers.FieldWiseEmbedding(
      2, nslots=3, slot_map_fn=lambda ids: tf.math.floormod(ids, 3),
      name=unique_name, initializer=1.0)
  out = layer(tf.constant([[0, 3, 1, 4], [2, 2, 5, 7]], tf.int64))
  np.testing.assert_array_equal(out[:, :, 0], [[2., 2., 0.], [0., 1., 3.]])
  with pytest.raises(ValueError):
    de.keras.layers.FieldWiseEmbedding(2, 3, slot_map_fn=None)


def test_squashed_embedding_reduces_inner_axes(unique_name):
  layer = de.keras.layers.SquashedEmbedding(2, name=unique_name,
                                            initializer=1.0, combiner="sum")
  assert layer(tf.zeros([4, 3, 5], tf.int64)).shape == (4, 2)
  np.testing.assert_array_equal(layer(tf.constant([1, 2], tf.int64)), [2., 2.])


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

"""Keras saving of models with dynamic embeddings: `model.save("x.keras")` /
`keras.models.load_model`, `save_weights` / `load_weights`, and
`de.keras.models.save_model`.

What a Keras file holds follows the tables' checkpoint semantics: every row
(in-process, Redis `table_store_mode` 0), or nothing but the layer's config
(mode 2: the rows stay in Redis); see python/keras/table_weights.py.
"""

import io
import os
import subprocess
import sys
import zipfile

import h5py

import keras
import numpy as np
import pytest
import tensorflow as tf

from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import training_util as tu
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests.training_util import sorted_export

pytestmark = pytest.mark.usefixtures("fresh_session")

_VOCAB = 40


def _data(n=128, seed=0):
  rng = np.random.default_rng(seed)
  hidden = rng.normal(size=_VOCAB).astype(np.float32)
  ids = rng.integers(0, _VOCAB, size=(n, 3)).astype(np.int64)
  return ids, hidden[ids].sum(axis=1, keepdims=True)


def _trained(name, kv_creator, **layer_kwargs):
  ids = keras.Input(shape=(3,), dtype="int64")
  layer = de.keras.layers.Embedding(4, name=name, kv_creator=kv_creator,
                                    **layer_kwargs)
  out = keras.layers.Dense(1)(keras.layers.Flatten()(layer(ids)))
  model = keras.Model(ids, out)
  model.compile(de.DynamicEmbeddingOptimizer(keras.optimizers.Adam(0.05)),
                loss="mse")
  x, y = _data()
  model.fit(x, y, batch_size=32, epochs=2, verbose=0)
  return model, layer, x


def test_keras_file_round_trip_restores_rows_and_predictions(
    kv_creator, unique_name, tmp_path):
  model, layer, x = _trained(unique_name, kv_creator)
  path = str(tmp_path / "model.keras")
  model.save(path)
  saved = sorted_export(layer.params)
  expected = model.predict(x, verbose=0)
  layer.params.clear()  # The file, not the live table, must bring them back.
  loaded = keras.models.load_model(path, compile=False)
  loaded_layer = loaded.get_layer(unique_name)
  assert type(loaded_layer) is de.keras.layers.Embedding
  tu.assert_same_contents(loaded_layer.params, saved)
  np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-6)


def test_weights_file_restores_the_table_exactly(kv_creator, unique_name,
                                                 tmp_path):
  model, layer, x = _trained(unique_name, kv_creator)
  path = str(tmp_path / "model.weights.h5")
  model.save_weights(path)
  saved = sorted_export(layer.params)
  model.fit(x + _VOCAB, np.zeros([len(x), 1]), epochs=1, verbose=0)
  assert int(layer.params.size()) > len(saved[0])
  model.load_weights(path)
  tu.assert_same_contents(layer.params, saved)


def test_a_mode_2_file_holds_no_rows_and_the_model_reads_redis(
    standalone_setup, unique_name, tmp_path):
  creator = standalone_setup.creator(table_store_mode=2)
  model, layer, x = _trained(unique_name, creator)
  path = str(tmp_path / "model.keras")
  model.save(path)
  expected = model.predict(x, verbose=0)
  keras.backend.clear_session()  # A new layer object over the same table.
  loaded = keras.models.load_model(path, compile=False)
  assert loaded.get_layer(unique_name).params is not layer.params
  np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-6)
  with zipfile.ZipFile(path) as archive:
    weights = h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r")
  entries = weights["layers"]["embedding"]["vars"]  # Named by class.
  assert [entries[k].shape[0] for k in sorted(entries)] == [0, 0]


_LOAD_IN_A_FRESH_PROCESS = """
import sys
import numpy as np
import keras
import tensorflow_recommenders_addons as tfra
tfra.register_all()
model = keras.models.load_model(sys.argv[1], compile=False)
np.save(sys.argv[3], model.predict(np.load(sys.argv[2]), verbose=0))
"""


def test_a_fresh_process_loads_a_redis_keras_model_after_register_all(
    standalone_setup, unique_name, tmp_path):
  model, _, x = _trained(unique_name, standalone_setup.creator())
  path = str(tmp_path / "model.keras")
  model.save(path)
  np.save(str(tmp_path / "x.npy"), x)
  done = subprocess.run(
      [sys.executable, "-c", _LOAD_IN_A_FRESH_PROCESS, path,
       str(tmp_path / "x.npy"), str(tmp_path / "out.npy")],
      env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)),
      capture_output=True, text=True, timeout=300, check=False)
  assert done.returncode == 0, done.stderr[-4000:]
  np.testing.assert_allclose(np.load(str(tmp_path / "out.npy")),
                             model.predict(x, verbose=0), rtol=1e-6)


def test_layer_config_carries_backend_and_policy(standalone_setup,
                                                 unique_name):
  creator = standalone_setup.creator()
  layer = de.keras.layers.Embedding(
      4, name=unique_name, kv_creator=creator,
      restrict_policy=de.FrequencyRestrictPolicy,
      initializer=keras.initializers.Constant(0.5))
  config = layer.get_config()
  assert config["kv_creator"] == {"class_name": "RedisTableCreator",
                                  "config": creator.get_config()}
  keras.backend.clear_session()
  copy = de.keras.layers.Embedding.from_config(config)
  assert isinstance(copy.params.kv_creator, de.RedisTableCreator)
  assert copy.params.kv_creator.config == creator.config
  assert isinstance(copy.params.restrict_policy, de.FrequencyRestrictPolicy)


def test_de_save_model_writes_a_keras_file_or_a_saved_model(
    kv_creator, unique_name, tmp_path):
  model, _, x = _trained(unique_name, kv_creator)
  expected = model.predict(x, verbose=0)
  de.keras.models.save_model(model, str(tmp_path / "m.keras"))
  loaded = keras.models.load_model(str(tmp_path / "m.keras"), compile=False)
  np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-6)
  if kv_creator.config is None:
    return  # The in-process table's file ops cannot go into a SavedModel.
  de.keras.models.de_save_model(model, str(tmp_path / "saved_model"))
  served = tf.saved_model.load(str(tmp_path / "saved_model"))
  np.testing.assert_allclose(served.serve(tf.constant(x)), expected,
                             rtol=1e-6)


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

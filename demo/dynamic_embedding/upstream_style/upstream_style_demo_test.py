"""The upstream-style demos, each in its short mode against a private Redis
(CI runs these): the loss falls, and a second process that loads what the
run saved predicts exactly what the trained model predicted; slot tables are
named as TFRA 0.8 named them.
"""

import json
import os
import subprocess
import sys

import pytest

_HERE = os.path.dirname(os.path.abspath(__file__))


def _run(script, tmp_path, **env):
  out = tmp_path / "out"
  env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p),
             **env)
  run = subprocess.run([sys.executable, os.path.join(_HERE, script),
                        "--short", "--output_dir", str(out)], env=env,
                       capture_output=True, text=True, timeout=1200)
  assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-5000:]
  assert "Stopped the private redis-server" in run.stdout
  return json.loads((out / "summary.json").read_text())


@pytest.mark.parametrize("keras_env,generation", [({}, "keras 3"), (
    {"TF_USE_LEGACY_KERAS": "1"}, "tf_keras")], ids=["keras3", "keras2"])
def test_movielens_1m_keras(tmp_path, keras_env, generation):
  summary = _run("movielens_1m_keras.py", tmp_path, **keras_env)
  assert summary["keras"] == generation
  first, last = summary["loss_per_epoch"][0], summary["loss_per_epoch"][-1]
  assert last < first
  assert summary["loaded_max_abs_difference"] < 1e-6
  assert summary["slot_variables"] == [
      "%s-parameter/DynamicEmbedding/%s-shadow/%s" % (layer, layer, slot)
      for layer in ("movie_embedding", "user_embedding") for slot in "mv"]
  assert min(summary["rows"].values()) > 1000


def test_movielens_1m_ps(tmp_path):
  summary = _run("movielens_1m_ps.py", tmp_path)
  assert summary["steps"] > 100
  assert summary["loss_last_fifth"] < 0.8 * summary["loss_first_fifth"]
  assert summary["loaded_max_abs_difference"] < 1e-6
  assert summary["slot_variables"] == [
      "%s_dynamic_embeddings/Adam/%s" % (name, slot)
      for name in ("movie", "user") for slot in "mv"]


def test_dynamic_embedding_tutorial(tmp_path):
  summary = _run("dynamic_embedding_tutorial.py", tmp_path)
  losses = summary["mean_squared_error_per_epoch"]
  assert losses[-1] < 0.8 * losses[0]
  assert summary["loaded_max_abs_difference"] < 1e-6
  assert summary["slot_variables"] == [
      "moive_dynamic_embeddings/movie-id-weights/m",
      "moive_dynamic_embeddings/movie-id-weights/v",
      "user_dynamic_embeddings/user-id-weights/m",
      "user_dynamic_embeddings/user-id-weights/v",
  ]


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"] + sys.argv[1:]))

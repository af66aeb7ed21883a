"""Two trainer processes against the same Redis at the same time.

The test starts two `concurrent_trainer` processes on one config file; they
meet at barriers, so their training phases overlap (checked from their
timestamps). Afterwards, read from this process:
- delta (`bp_v2`) updates of known size add up exactly: every SGD row moved by
  the sum of both workers' steps and every Adagrad accumulator grew by the sum
  of both workers' squared gradients, none lost to a concurrent writer;
- the shared model trained in both (each one's loss fell) and its table and
  slots hold every id either worker trained, with finite values.
"""

import sys

import numpy as np
import pytest
import tensorflow as tf

from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import concurrent_trainer as ct
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import training_util as tu

pytestmark = pytest.mark.usefixtures("fresh_session")

_WORKERS = 2
_STEPS = 200  # Long enough (~0.5 s) for the phases to overlap for sure.


def _run_trainers(config, name, tmp_path):
  """Runs the workers to completion; returns their JSON reports."""
  return tu.run_worker_processes(
      ct.__name__, _WORKERS, tmp_path,
      ["--config", config, "--name", name, "--steps", str(_STEPS)],
      timeout=240)


def _assert_overlap(reports, phase):
  starts = [r[phase][0] for r in reports]
  ends = [r[phase][1] for r in reports]
  assert max(starts) < min(ends), "%s phases did not overlap: %s" % (
      phase, [r[phase] for r in reports])


def _rows(name, creator, ids):
  var = de.Variable(name=name, dim=tu.DIM, kv_creator=creator)
  values, exists = var.lookup(ids, return_exists=True)
  assert exists.numpy().all(), name
  return values.numpy()


def test_two_trainer_processes_share_one_model_and_lose_no_delta(
    training_setup, unique_name, tmp_path):
  config = training_setup.write_config(storage_slice=2)
  reports = _run_trainers(config, unique_name, tmp_path)
  _assert_overlap(reports, "delta_phase")
  _assert_overlap(reports, "model_phase")
  creator = tu.creator_for(config)

  steps_weight = sum(w + 1 for w in range(_WORKERS)) * _STEPS
  ids = tf.range(ct.KEYS, dtype=tf.int64)
  np.testing.assert_array_equal(
      _rows(reports[0]["sgd_variable"], creator, ids),
      np.full((ct.KEYS, tu.DIM), -ct.SGD_RATE * steps_weight, np.float32))
  squares = sum((w + 1)**2 for w in range(_WORKERS)) * _STEPS
  np.testing.assert_array_equal(
      _rows(reports[0]["accumulator_variable"], creator, ids),
      np.full((ct.KEYS, tu.DIM), ct.ACCUMULATOR_START + squares, np.float32))

  for report in reports:
    losses = report["losses"]
    assert np.mean(losses[-5:]) < 0.7 * np.mean(losses[:5]), losses
  trained = np.unique(np.concatenate([
      ids.numpy().ravel()
      for w in range(_WORKERS)
      for ids, _ in tu.batches(_STEPS + 1, seed=100 + w)
  ]))
  assert reports[0]["model_variables"] == reports[1]["model_variables"]
  assert len(reports[0]["model_variables"]) == 3  # Rows, Adam's 2 slots.
  for name in reports[0]["model_variables"]:
    values = _rows(name, creator, tf.constant(trained))
    assert np.isfinite(values).all()
    keys, _ = de.Variable(name=name, dim=tu.DIM, kv_creator=creator).export()
    np.testing.assert_array_equal(np.sort(keys.numpy()), trained)


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

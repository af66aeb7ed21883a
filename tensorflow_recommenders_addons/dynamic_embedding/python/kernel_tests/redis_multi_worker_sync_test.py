"""Two MultiWorkerMirroredStrategy workers end like one worker (SGD, Redis).

Two worker processes (multi_worker_trainer.py, `TF_CONFIG` on loopback
ports) each train on their half of every global batch, with SGD, in a custom
loop (`strategy.run` in a `tf.function`); the embeddings live in a private
Redis (standalone, then Cluster). A reference trains the same seeded model
in this process, without a strategy, on the whole global batches. Both start
from the same table rows (written here before the workers start), so the
embedding rows in Redis and both workers' dense weights must end equal to
the reference's up to float reassociation (the replicas' gradients are
summed in another order).
"""

import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import multi_worker_trainer as mwt
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import multi_worker_util as mwu
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import training_util as tu

pytestmark = pytest.mark.usefixtures("fresh_session")

_STEPS = 6
_RTOL = 1e-5


def _seeded_trainer(name, creator):
  """A Trainer whose table holds `tu.start_rows()` (no strategy)."""
  trainer = tu.Trainer(name, creator, "sgd")
  keys, rows = tu.start_rows()
  trainer.layer.params.upsert(keys, rows)
  return trainer


def _reference(setup, name):
  """Rows and dense weights of one worker on the whole global batches."""
  trainer = _seeded_trainer(name, setup.creator())
  trainer.train(tu.batches(_STEPS, seed=mwt.DATA_SEED))
  snapshot = trainer.snapshot()
  keras.backend.clear_session()
  return snapshot


def test_two_workers_on_batch_halves_end_like_one_worker_on_whole_batches(
    training_setup, unique_name, tmp_path):
  reference = _reference(training_setup, unique_name)
  config = training_setup.write_config(storage_slice=2)
  creator = tu.creator_for(config)
  _seeded_trainer(unique_name, creator)
  keras.backend.clear_session()

  with mwu.cluster(tmp_path) as cluster:
    outs = mwu.start_workers(cluster, tmp_path, config, unique_name, _STEPS,
                             optimizer="sgd")
    cluster.wait_all("worker", mwu.WORKER_TIMEOUT_S)
  reports = mwu.reports(outs)

  (table,) = reports[0]["tables"]  # SGD keeps no slots.
  keys, rows = mwu.table_rows(creator, table)
  want_keys, want_rows = reference[0]
  np.testing.assert_array_equal(keys, want_keys)
  np.testing.assert_allclose(rows, want_rows, rtol=_RTOL)
  _, start = tu.start_rows()
  assert not np.allclose(rows, start.numpy()[keys]), "nothing trained"
  for report in reports:
    for weight, want in zip(report["dense"], reference[-1]):
      np.testing.assert_allclose(weight, want, rtol=_RTOL, atol=1e-7)


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

"""Training with embeddings and optimizer slots in Redis, standalone and Cluster.

A small seeded model (training_util.Trainer) trains with SGD, Adagrad and
Adam: the loss falls, the rows and slots stored in Redis change, and their
Redis keys sit under the config's model tag (on several masters in a
cluster). The in-process default backend, fed the same seed and batches,
computes exactly the same losses, rows and slots as Redis.
"""

import json
import sys

import numpy as np
import pytest

from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import training_util as tu

pytestmark = pytest.mark.usefixtures("fresh_session")


def _masters_holding(setup, pattern):
  """Ports of the masters that hold a Redis key matching `pattern`."""
  return [port for port in setup.deployment.node_ports("master")
          if setup.deployment.redis_cli(port, "--scan", "--pattern",
                                        pattern).strip()]


@pytest.mark.parametrize("optimizer_name", sorted(tu.OPTIMIZERS))
def test_loss_falls_and_stored_rows_and_slots_change(training_setup, unique_name,
                                                     optimizer_name):
  config = training_setup.write_config(storage_slice=4)
  trainer = tu.Trainer(unique_name, tu.creator_for(config), optimizer_name)
  data = tu.batches(30, seed=5)
  first = trainer.train(data[:5])
  early = trainer.snapshot()
  later = trainer.train(data[5:] + data)
  assert np.mean(later[-5:]) < 0.5 * np.mean(first)
  tables = trainer.tables()
  assert len(tables) == 1 + tu.SLOT_COUNT[optimizer_name]
  ids = np.unique(np.concatenate([x.numpy().ravel() for x, _ in data]))
  for (keys, rows), (early_keys, early_rows) in zip(trainer.snapshot()[:-1],
                                                    early[:-1]):
    np.testing.assert_array_equal(keys, ids)
    np.testing.assert_array_equal(early_keys, ids)  # 5 batches met them all.
    assert np.isfinite(rows).all()
    assert not np.allclose(rows, early_rows)
  with open(config) as f:
    tag = json.load(f)["model_tag_runtime"]
  for table in tables:
    name = table.tables[0].embedding_name
    masters = _masters_holding(training_setup, "%s:%s{*" % (tag, name))
    # A cluster spreads a table's 4 buckets over its masters.
    if training_setup.mode == "standalone":
      assert len(masters) == 1
    else:
      assert len(masters) > 1, masters


@pytest.mark.parametrize("optimizer_name", sorted(tu.OPTIMIZERS))
def test_in_process_backend_computes_exactly_what_redis_computes(
    training_setup, unique_name, optimizer_name):
  data = tu.batches(12, seed=3) + tu.batches(6, seed=4, first_id=30)
  results = []
  for creator in (de.CuckooHashTableCreator(),
                  training_setup.creator(storage_slice=2)):
    trainer = tu.Trainer(unique_name + type(creator).__name__, creator,
                         optimizer_name)
    initial_rows = trainer.layer.params.lookup(data[0][0])  # Reads only.
    results.append((initial_rows.numpy(), trainer.train(data),
                    trainer.snapshot()))
  (rows0, losses, snapshot), (redis_rows0, redis_losses, redis_snapshot) = (
      results)
  np.testing.assert_array_equal(redis_rows0, rows0)
  np.testing.assert_array_equal(redis_losses, losses)
  assert losses[-1] != losses[0]
  tu.assert_snapshots_equal(redis_snapshot, snapshot)


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

"""Adam under MultiWorkerMirroredStrategy, embeddings and slots in a Cluster.

Two worker processes (multi_worker_trainer.py) train one model with Adam on
their halves of every global batch, meeting new ids as they go. Afterwards,
read here: the loss fell; the embedding table and Adam's two slot tables are
in Redis under the config's model tag (and no other table is); each holds
every id either worker trained exactly once (its buckets' fields add up to
the number of ids), with finite values.
"""

import re
import sys

import numpy as np
import pytest

from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import multi_worker_util as mwu
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import training_util as tu

pytestmark = pytest.mark.usefixtures("fresh_session")

_STEPS = 40


def _fields_per_table(setup, tag):
  """{Redis key: HLEN} of every key under `tag` (binary-safe names)."""
  counts = {}
  for port in setup.deployment.node_ports("master"):
    names = setup.deployment.redis_cli(port, "--scan", "--pattern",
                                       tag + ":*").splitlines()
    for name in filter(None, names):
      counts[name] = int(setup.deployment.redis_cli(port, "HLEN", name))
  return counts


def test_adam_workers_store_every_seen_id_once_with_slots_under_the_tag(
    cluster_setup, unique_name, tmp_path):
  tag = "adam" + unique_name
  config = cluster_setup.write_config(storage_slice=2, model_tag_runtime=tag,
                                      model_tag_import=tag)
  with mwu.cluster(tmp_path) as cluster:
    outs = mwu.start_workers(cluster, tmp_path, config, unique_name, _STEPS,
                             optimizer="adam")
    cluster.wait_all("worker", mwu.WORKER_TIMEOUT_S)
  reports = mwu.reports(outs)

  losses = reports[0]["losses"]
  assert len(losses) == _STEPS
  assert reports[1]["losses"] == losses  # Both report the global loss.
  assert np.mean(losses[-5:]) < 0.7 * np.mean(losses[:5]), losses
  seen = sorted(set(reports[0]["ids"]) | set(reports[1]["ids"]))

  tables = reports[0]["tables"]
  assert len(tables) == 1 + tu.SLOT_COUNT["adam"]
  creator = tu.creator_for(config)
  for name in tables:
    keys, rows = mwu.table_rows(creator, name)
    np.testing.assert_array_equal(keys, seen)
    assert np.isfinite(rows).all(), name
  fields = _fields_per_table(cluster_setup, tag)
  buckets = {}  # Table name: its bucket keys' field counts.
  for key, count in fields.items():
    match = re.fullmatch(re.escape(tag) + r":(.+)\{\d+\}", key)
    if match:  # Not a layout record (`{tfra_layout}`).
      buckets.setdefault(match.group(1), []).append(count)
  assert sorted(buckets) == sorted(t.replace("/", "_") for t in tables)
  for name, counts in buckets.items():
    assert sum(counts) == len(seen), (name, counts)

if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

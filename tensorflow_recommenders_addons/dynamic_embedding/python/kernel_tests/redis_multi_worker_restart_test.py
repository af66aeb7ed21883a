"""A worker killed mid-training: the job restarts from its checkpoint and ends.

Two MultiWorkerMirroredStrategy workers (multi_worker_trainer.py) train with
Adam, saving a checkpoint every few steps; the embeddings live in Redis, with
`table_store_mode` 2 (the checkpoint holds no rows: they stay in Redis), 0
(the checkpoint holds the rows; restoring writes them back) and 1 (saving
DUMPs each bucket to a file, restoring RESTOREs them; both workers write the
same files, each atomically).
Once both have passed a checkpoint, worker 1 is SIGKILLed. Its peer's
collectives then fail (TensorFlow cannot replace a worker in a running
collective group), so, as a cluster manager would, the test starts both again:
they restore the latest checkpoint, train the remaining steps and exit 0.
The final table holds every id of every step.
"""

import os
import sys
import time

import numpy as np
import pytest

from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import multi_worker_trainer as mwt
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import multi_worker_util as mwu
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import training_util as tu
from tools.testing import redis_servers

pytestmark = pytest.mark.usefixtures("fresh_session")

_STEPS = 24
_EVERY = 4  # Checkpoint every _EVERY steps.
_KILL_AFTER = 10  # Steps worker 1 has done when it is killed.
_SURVIVOR_EXIT_S = 120  # The peer's collectives fail within this.
# Modes to run: all by default; each Bazel target runs one (BUILD), so each
# stays short on a loaded CI machine.
_STORE_MODES = [int(mode) for mode in
                os.environ.get("RESTART_STORE_MODES", "2,0,1").split(",")]


def _progress(out):
  try:
    with open(out + ".progress") as f:
      return int(f.read() or 0)
  except FileNotFoundError:
    return 0


@pytest.mark.parametrize("store_mode", _STORE_MODES)
def test_killed_worker_resumes_from_the_checkpoint_and_the_job_ends(
    standalone_setup, unique_name, tmp_path, store_mode):
  config = standalone_setup.write_config(
      table_store_mode=store_mode, expire_model_tag_in_seconds=-1,
      model_lib_abs_dir=str(tmp_path / "dumps") + "/")
  flags = dict(optimizer="adam", checkpoint_dir=str(tmp_path / "ckpt"),
               checkpoint_every=_EVERY)
  with mwu.cluster(tmp_path) as cluster:
    outs = mwu.start_workers(cluster, tmp_path, config, unique_name, _STEPS,
                             **flags)
    redis_servers.wait_for(lambda: _progress(outs[1]) >= _KILL_AFTER,
                           mwu.WORKER_TIMEOUT_S, "worker 1 to train")
    cluster.kill("worker", 1)
    killed_at = time.monotonic()
    status = cluster.wait("worker", 0, _SURVIVOR_EXIT_S)
    assert status != 0, cluster.log_tail("worker", 0)
    print("worker 0 exited %.1fs after the kill" %
          (time.monotonic() - killed_at))
    assert not os.path.exists(outs[0])  # It never finished.

    outs = mwu.start_workers(cluster, tmp_path, config, unique_name, _STEPS,
                             **flags)
    cluster.wait_all("worker", mwu.WORKER_TIMEOUT_S)
  reports = mwu.reports(outs)

  for report in reports:
    resumed = report["resumed_from"]
    assert resumed % _EVERY == 0 and _EVERY <= resumed < _STEPS, resumed
    assert len(report["losses"]) == _STEPS - resumed
  every_id = np.unique(np.concatenate([
      ids.numpy().ravel() for ids, _ in tu.batches(_STEPS, mwt.DATA_SEED)]))
  if store_mode == 1:  # The restore read bucket files the saves wrote.
    assert list((tmp_path / "dumps").rglob("*.rdb")), "no DUMP files"
  creator = tu.creator_for(config)
  for name in reports[0]["tables"]:
    keys, rows = mwu.table_rows(creator, name)
    np.testing.assert_array_equal(keys, every_id)
    assert np.isfinite(rows).all(), name


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v", "-s"]))

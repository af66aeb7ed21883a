"""Why ParameterServerStrategy cannot train dynamic embeddings in TF 2.21.

Training a `de.Variable` needs, on every worker, row buffers of its own (a
`TrainableWrapper`: the rows of the batch's ids, a row count that changes
every batch) that a GradientTape differentiates, and, for workers to reach
Redis themselves, table ops that run on the worker. Each test starts a local
cluster (1 parameter server, 2 workers, the chief as coordinator;
parameter_server_probe.py) and shows one way TensorFlow 2.21 refuses:

1. A buffer made under the strategy's scope lives on a parameter server,
   shared by every worker; reading it in a scheduled function aborts the
   worker (CHECK failure deserializing its [None, 4] handle).
2. A per-worker variable (`per_worker_variable=True`) is local to each worker
   and may have a [None, 4] shape, but TensorFlow makes it non-trainable and
   a scheduled function gets no gradient for it, even when watched.
3. A Redis table made by the coordinator runs its ops on the coordinator:
   every worker's lookups and updates would pass through that one process.
(2 and 3 share one cluster.)

When TensorFlow changes any of these, the test fails: then build the
parameter-server path (docs/distributed_training.md says what it needs).
"""

import json
import signal
import sys

import pytest

from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import multi_worker_util as mwu
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import parameter_server_probe
from tools.testing import redis_servers

_TASKS = {"chief": 1, "worker": 2, "ps": 1}


def _start(cluster, probes, config=None):
  argv = [sys.executable, "-m", parameter_server_probe.__name__, "--probes",
          probes] + (["--config", config] if config else [])
  for task_type, count in _TASKS.items():
    for index in range(count):
      cluster.start(task_type, index, argv)


def _probe_result(cluster):
  """The chief's last PROBE line, once it exited 0."""
  assert cluster.wait("chief", 0, mwu.WORKER_TIMEOUT_S) == 0, (
      cluster.log_tail("chief", 0))
  lines = [line for line in cluster.log_tail("chief", 0, 20000).splitlines()
           if line.startswith("PROBE ")]
  return json.loads(lines[-1][len("PROBE "):])


def test_row_buffer_on_a_parameter_server_aborts_the_worker_reading_it(
    tmp_path):
  with mwu.cluster(tmp_path, _TASKS) as cluster:
    _start(cluster, "buffer_on_ps")
    aborted = redis_servers.wait_for(
        lambda: [i for i in range(_TASKS["worker"])
                 if cluster.returncode("worker", i) is not None],
        mwu.WORKER_TIMEOUT_S, "a worker to exit")
    index = aborted[0]
    assert cluster.returncode("worker", index) == -signal.SIGABRT
    assert "Check failed: size >= 0" in cluster.log_tail("worker", index)
    assert cluster.returncode("chief", 0) is None  # It waits for workers.


def test_per_worker_buffers_get_no_gradient_and_tables_run_on_the_chief(
    standalone_setup, tmp_path):
  config = standalone_setup.write_config()
  with mwu.cluster(tmp_path, _TASKS) as cluster:
    _start(cluster, "per_worker_buffer,table_placement", config)
    result = _probe_result(cluster)
  assert result["per_worker_buffer"] == {"trainable": False, "sum": 12.0,
                                         "gradient_is_none": True}
  placement = result["table_placement"]
  assert placement["table_device"].startswith("/job:chief/"), placement
  assert placement["size"] == 2

if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

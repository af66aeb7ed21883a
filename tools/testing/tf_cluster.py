"""Local TensorFlow clusters: one process per task, `TF_CONFIG` on loopback.

For the multi-worker tests and the demo's `--workers`. A `Cluster` picks free
127.0.0.1 ports for its tasks (workers, parameter servers), starts each task's
command with the `TF_CONFIG` that names it, and stops every process it
started on exit (also when its starter dies: `setpriv --pdeathsig`, as the
Redis launcher does). Tasks can be killed and started again, which is how the
fault tests play a worker crash and a cluster manager's restart.

    from tools.testing import tf_cluster
    with tf_cluster.Cluster({"worker": 2}, log_dir) as cluster:
      for index in range(2):
        cluster.start("worker", index, [sys.executable, "-m", "my.worker"])
      cluster.wait_all(timeout=120)
"""

import json
import os
import signal
import subprocess

from tools.testing import redis_process

HOST = redis_process.HOST


def pick_ports(count):
  """`count` distinct free loopback ports (bound and released at once)."""
  taken = set()
  return [redis_process.pick_port(taken) for _ in range(count)]


def cluster_spec(tasks):
  """`{"worker": 2, "ps": 1}` -> `{"worker": ["127.0.0.1:P", ...], ...}`."""
  ports = iter(pick_ports(sum(tasks.values())))
  return {kind: ["%s:%d" % (HOST, next(ports)) for _ in range(count)]
          for kind, count in tasks.items()}


def tf_config(cluster, task_type, index):
  """The `TF_CONFIG` value of task `index` of `task_type` in `cluster`."""
  return json.dumps({"cluster": cluster,
                     "task": {"type": task_type, "index": index}})


class ClusterError(RuntimeError):
  """A task failed, or did not finish in time; the message holds its log."""


class Cluster:
  """The processes of one local TensorFlow cluster.

  Args:
    tasks: `{task type: count}`, e.g. `{"worker": 2}` or
      `{"worker": 2, "ps": 1}`.
    log_dir: where each task's output goes (`<type>_<index>.log`; a task
      started again appends).
    env: extra environment for every task.

  Not thread-safe; use from the thread that made it.
  """

  def __init__(self, tasks, log_dir, env=None):
    self.spec = cluster_spec(tasks)
    self._log_dir = log_dir
    self._env = dict(os.environ, **(env or {}))
    self._procs = {}

  def __enter__(self):
    return self

  def __exit__(self, *exc_info):
    self.stop()

  def start(self, task_type, index, argv):
    """Starts (or starts again) task `index` of `task_type` running `argv`."""
    self.kill(task_type, index)
    env = dict(self._env, TF_CONFIG=tf_config(self.spec, task_type, index))
    log = open(self.log_path(task_type, index), "ab")  # pylint: disable=consider-using-with
    with log:
      self._procs[(task_type, index)] = subprocess.Popen(
          redis_process._DEATH_SIGNAL + list(argv), env=env, stdout=log,  # pylint: disable=protected-access
          stderr=subprocess.STDOUT)

  def log_path(self, task_type, index):
    return os.path.join(self._log_dir, "%s_%d.log" % (task_type, index))

  def log_tail(self, task_type, index, chars=4000):
    with open(self.log_path(task_type, index), "rb") as log:
      return log.read().decode(errors="replace")[-chars:]

  def returncode(self, task_type, index):
    """The task's exit status, or None while it runs."""
    return self._procs[(task_type, index)].poll()

  def kill(self, task_type, index):
    """SIGKILLs the task (a crash: no clean-up runs) and reaps it."""
    proc = self._procs.pop((task_type, index), None)
    if proc is not None and proc.poll() is None:
      proc.send_signal(signal.SIGKILL)
    if proc is not None:
      proc.wait()

  def wait(self, task_type, index, timeout):
    """Waits for the task to exit; returns its status.

    Raises:
      ClusterError: it still runs after `timeout` seconds (it is killed).
    """
    try:
      return self._procs[(task_type, index)].wait(timeout=timeout)
    except subprocess.TimeoutExpired:
      self.kill(task_type, index)
      raise ClusterError("%s %d did not finish within %ss:\n%s" %
                         (task_type, index, timeout,
                          self.log_tail(task_type, index))) from None

  def wait_all(self, task_type, timeout):
    """Waits for every started task of `task_type` to exit with status 0.

    Raises:
      ClusterError: one failed or timed out (all are killed then).
    """
    try:
      for (kind, index) in sorted(self._procs):
        if kind == task_type and self.wait(kind, index, timeout) != 0:
          raise ClusterError("%s %d failed (status %s):\n%s" % (
              kind, index, self.returncode(kind, index),
              self.log_tail(kind, index)))
    except ClusterError:
      self.stop()
      raise

  def stop(self):
    """Kills every task still running."""
    for task in list(self._procs):
      self.kill(*task)

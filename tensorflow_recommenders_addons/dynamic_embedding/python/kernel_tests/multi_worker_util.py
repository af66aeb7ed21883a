"""Local TensorFlow clusters of this package's test programs (test helper).

Shared by the multi-worker and parameter-server tests: makes a
`tools.testing.tf_cluster.Cluster`, starts multi_worker_trainer.py workers,
reads their reports and the tables they trained.
"""

import json
import os
import sys

import numpy as np
import tensorflow as tf

from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import multi_worker_trainer
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import training_util as tu
from tools.testing import tf_cluster

# Generous: two TensorFlow processes start, trace and train on 2 shared cores.
WORKER_TIMEOUT_S = 240


def cluster(tmp_path, tasks=None):
  """A `tf_cluster.Cluster` of `tasks` (default: 2 workers), logging under
  tmp_path; its processes import this package."""
  env = {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
         "TF_CPP_MIN_LOG_LEVEL": "2"}
  return tf_cluster.Cluster(tasks or {"worker": 2}, str(tmp_path), env=env)


def trainer_argv(out, config, name, steps, **flags):
  """The command of one multi_worker_trainer process."""
  argv = [sys.executable, "-m", multi_worker_trainer.__name__, "--config",
          config, "--name", name, "--steps", str(steps), "--out", out]
  for flag, value in flags.items():
    argv += ["--" + flag, str(value)]
  return argv


def start_workers(workers_cluster, tmp_path, *args, **flags):
  """Starts every worker; returns their report paths."""
  outs = []
  for index in range(len(workers_cluster.spec["worker"])):
    outs.append(str(tmp_path / ("worker%d.json" % index)))
    workers_cluster.start("worker", index,
                          trainer_argv(outs[-1], *args, **flags))
  return outs


def reports(outs):
  """The workers' JSON reports, in worker order."""
  result = []
  for out in outs:
    with open(out) as f:
      result.append(json.load(f))
  return result


def table_rows(creator, name, ids=None):
  """`sorted_export` of the table `name` in Redis (all rows), read here; or
  the rows of `ids`, which must all be present."""
  var = de.Variable(name=name, dim=tu.DIM, kv_creator=creator)
  if ids is None:
    return tu.sorted_export(var)
  values, exists = var.lookup(tf.constant(ids, tf.int64), return_exists=True)
  assert np.all(exists.numpy()), name
  return values.numpy()

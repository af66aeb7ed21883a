"""A SavedModel exported after training, served from a second process.

The training process trains a few steps against Redis (standalone, then
Cluster), switches to inference mode, exports a SavedModel and predicts on
fixed ids (some trained, some never seen). A fresh Python process then loads
the SavedModel with TFRA_REDIS_CONFIG_PATH naming a *different* config file:
same servers and model tag, `table_store_mode` 2, and on Cluster
`redis_read_access_slave` (reads go to the replicas). The training config
file is removed first, so only the serving config can answer. The served
predictions must equal the training process's, and serving must write
nothing: every node's command statistics are reset before the serving
process starts and read after it ends.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import training_util as tu

pytestmark = pytest.mark.usefixtures("fresh_session")

_STEPS = 4

# Commands that change data (or may, for scripts). Reads, PING, INFO, CLUSTER,
# READONLY and SCRIPT LOAD are allowed.
_WRITE_COMMANDS = frozenset([
    "hset", "hmset", "hsetnx", "hdel", "hincrby", "hincrbyfloat", "del",
    "unlink", "persist", "expire", "pexpire", "expireat", "pexpireat",
    "restore", "restore-asking", "eval", "evalsha", "fcall", "set", "setex",
    "rename", "renamenx", "copy", "migrate", "flushdb", "flushall"
])

# The serving process: TensorFlow and the package's public names only
# (`tfra.register_all()` loads the op library, which the graph's ops need
# before `tf.saved_model.load`), as upstream's serving scripts do.
_SERVE = """
import sys
import numpy as np
import tensorflow as tf
import tensorflow_recommenders_addons as tfra
tfra.register_all()
saved_model, ids_path, out_path = sys.argv[1:4]
model = tf.saved_model.load(saved_model)
ids = np.load(ids_path)["ids"]
np.savez(out_path, predictions=model.serve(tf.constant(ids)).numpy())
del model  # TensorFlow warns here about checkpoint values nothing restored.
import gc
gc.collect()
"""


def _fixed_ids(trained):
  """[BATCH, WIDTH] ids: trained ones, unseen ones, and rows mixing both."""
  seen = np.asarray(trained, np.int64)[:tu.BATCH * tu.WIDTH // 2]
  unseen = np.arange(1000, 1000 + len(seen), dtype=np.int64)
  mixed = np.stack([seen, unseen], axis=1).ravel()
  return mixed.reshape(tu.BATCH, tu.WIDTH)


def _serving_config(train_config, folder, mode):
  """Writes the serving config: the training one with the serving keys."""
  with open(train_config) as f:
    config = json.load(f)
  config["table_store_mode"] = 2
  if mode == "cluster":
    config["redis_read_access_slave"] = True
  path = os.path.join(folder, "serving.json")
  with open(path, "w") as out:
    json.dump(config, out)
  return path


def _info(setup, port, section):
  """`INFO section` of the node on `port` as {field: value}."""
  out = setup.deployment.redis_cli(port, "INFO", section)
  fields = {}
  for line in out.splitlines():
    if ":" in line and not line.startswith("#"):
      name, value = line.strip().split(":", 1)
      fields[name] = value
  return fields


def _wait_for_replicas(setup):
  """Waits until every replica has applied all its master's writes."""

  def caught_up():
    for port in setup.deployment.node_ports("master"):
      info = _info(setup, port, "replication")
      offsets = [
          dict(kv.split("=") for kv in value.split(",")).get("offset")
          for name, value in info.items()
          if name.startswith("slave") and name[5:].isdigit()
      ]
      if not offsets or any(o != info["master_repl_offset"] for o in offsets):
        return False
    return True

  setup.deployment.wait_for(caught_up, 30, "the replicas to catch up")


def _command_calls(setup, port):
  """{command: calls} from `INFO commandstats` of the node on `port`."""
  calls = {}
  for name, value in _info(setup, port, "commandstats").items():
    if name.startswith("cmdstat_"):
      stats = dict(kv.split("=") for kv in value.split(","))
      calls[name[len("cmdstat_"):].lower()] = int(stats["calls"])
  return calls


def _serve(saved_model, ids, serving_config, folder):
  """Predictions of the SavedModel loaded by a fresh process."""
  ids_path = os.path.join(folder, "ids.npz")
  out_path = os.path.join(folder, "served.npz")
  np.savez(ids_path, ids=ids)
  env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p),
             TF_CPP_MIN_LOG_LEVEL="2", TFRA_REDIS_CONFIG_PATH=serving_config)
  proc = subprocess.run(
      [sys.executable, "-c", _SERVE, saved_model, ids_path, out_path],
      env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=180,
      check=False)
  output = proc.stdout.decode(errors="replace")
  assert proc.returncode == 0, "serving failed:\n%s" % output[-4000:]
  # The SavedModel holds only what loading restores (no wrapper buffers).
  assert "could not be found in the restored object" not in output, output
  return np.load(out_path)["predictions"]


def test_served_saved_model_predicts_as_trained_and_writes_nothing(
    training_setup, unique_name, tmp_path):
  # Mode 0 for training: the SavedModel carries the rows, so loading it runs
  # a table restore, which in the serving config's mode 2 must write nothing.
  train_config = training_setup.write_config(table_store_mode=0)
  trainer = tu.Trainer(unique_name, tu.creator_for(train_config), "adam")
  data = tu.batches(_STEPS, seed=11)
  trainer.train(data)
  trained = np.unique(np.concatenate([ids.numpy().ravel() for ids, _ in data]))
  assert int(trainer.layer.params.size()) == len(trained)
  ids = _fixed_ids(trained)

  saved_model = str(tmp_path / "saved_model")
  de.enable_inference_mode()
  try:
    trainer.model.export(saved_model, verbose=False)
    expected = trainer.model(tf.constant(ids), training=False).numpy()
  finally:
    de.enable_train_mode()
  # Trained rows matter: a row of seen ids predicts unlike the default row.
  assert len(np.unique(expected)) > 2, expected

  serving_config = _serving_config(train_config, str(tmp_path),
                                   training_setup.mode)
  os.remove(train_config)  # Only TFRA_REDIS_CONFIG_PATH can answer now.
  if training_setup.mode == "cluster":
    _wait_for_replicas(training_setup)
  ports = training_setup.deployment.node_ports()
  for port in ports:
    training_setup.deployment.redis_cli(port, "CONFIG", "RESETSTAT")

  served = _serve(saved_model, ids, serving_config, str(tmp_path))

  np.testing.assert_allclose(served, expected, rtol=0, atol=1e-6)
  calls = {port: _command_calls(training_setup, port) for port in ports}
  writes = {
      port: {c: n for c, n in stats.items() if c in _WRITE_COMMANDS}
      for port, stats in calls.items()
  }
  assert not any(writes.values()), "serving wrote: %s" % writes
  reads = {port: stats.get("hmget", 0) for port, stats in calls.items()}
  assert any(reads.values()), "no lookups reached Redis: %s" % calls
  if training_setup.mode == "cluster":
    replicas = training_setup.deployment.node_ports("replica")
    assert any(reads[p] for p in replicas), (
        "redis_read_access_slave: no lookup reached a replica: %s" % reads)


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

"""What the upstream-style demos share: where the tables live, how the ops are
loaded in a process that only serves them, and the check that a loaded model
predicts what the trained one did.

With no `--config` a demo starts (and afterwards stops) a private
redis-server on a free loopback port; with `--config FILE` it uses your Redis
(any JSON table config; see the config reference).
"""

import contextlib
import json
import os
import subprocess
import sys

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))
_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(_HERE)))


def quiet_tensorflow():
  """Before TensorFlow loads: no C++ INFO lines, TensorFlow's own CPU kernels
  (oneDNN's notice no log level hides). Either can be overridden."""
  os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
  os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


@contextlib.contextmanager
def redis_config(config_path, workdir, **overrides):
  """Yields the path of a table config: `config_path` with `overrides`, or a
  private redis-server's (rows kept in Redis: table_store_mode 2)."""
  if config_path:
    with open(config_path) as f:
      config = dict(json.load(f), **overrides)
    yield _write(os.path.join(workdir, "redis.json"), config)
    return
  if _REPO_ROOT not in sys.path:
    sys.path.append(_REPO_ROOT)
  from tools.testing import redis_servers  # pylint: disable=g-import-not-at-top
  with redis_servers.standalone() as redis:
    (port,) = redis.node_ports()
    print("Started a private redis-server on 127.0.0.1:%d" % port)
    settings = dict(table_store_mode=2, model_tag_runtime="demo",
                    model_tag_import="demo")
    settings.update(overrides)
    yield _write(os.path.join(workdir, "redis.json"),
                 redis.table_config(**settings))
  print("Stopped the private redis-server")


def _write(path, config):
  with open(path, "w") as f:
    json.dump(config, f, indent=1)
  return path


def register_ops():
  """Loads the op library into a process that runs graphs it did not build
  (a parameter server, a process loading a SavedModel)."""
  import tensorflow_recommenders_addons as tfra  # pylint: disable=g-import-not-at-top
  register_all = getattr(tfra, "register_all", None)
  if register_all is not None:
    register_all()
    return
  # Until tfra.register_all() lands (issue 14, item 5).
  from tensorflow_recommenders_addons.dynamic_embedding.python.ops import redis_table_ops  # pylint: disable=g-import-not-at-top
  redis_table_ops.redis_table_ops.ops  # pylint: disable=pointless-statement


def run_again(script, args, env=None):
  """Runs `script` (a demo) with `args` in a fresh Python process; returns
  its stdout. Raises CalledProcessError with its output on failure."""
  run = subprocess.run([sys.executable, script] + list(args),
                       env=dict(os.environ, **(env or {})),
                       capture_output=True, text=True, check=False)
  if run.returncode != 0:
    sys.stderr.write(run.stdout[-3000:] + run.stderr[-5000:])
    raise subprocess.CalledProcessError(run.returncode, script,
                                        run.stdout, run.stderr)
  return run.stdout


def compare_predictions(trained_path, loaded_path):
  """Largest absolute difference between two saved prediction arrays."""
  trained = np.load(trained_path)
  loaded = np.load(loaded_path)
  if trained.shape != loaded.shape:
    raise ValueError("prediction shapes differ: %s vs %s" %
                     (trained.shape, loaded.shape))
  return float(np.max(np.abs(trained - loaded)))


def write_summary(path, summary):
  """Prints the summary and writes it as JSON to `path` (if given)."""
  text = json.dumps(summary, indent=1, sort_keys=True)
  print(text)
  if path:
    with open(path, "w") as f:
      f.write(text)

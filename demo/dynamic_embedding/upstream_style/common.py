"""What the upstream-style demos share: their common flags, where the tables
live, how the ops are loaded in a process that only serves them, and the run
itself: train in this process, then check in a second one that what the run
saved predicts what the trained model did (train_then_reload).

With no `--config` a demo starts (and afterwards stops) a private
redis-server on a free loopback port; with `--config FILE` it uses your Redis
(any JSON table config; see the config reference).
"""

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))
_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(_HERE)))


# What the training process leaves in its work directory for the second one:
# the held-out batch, and what the trained model predicted for it.
_FEATURES = "features.npz"
_TRAINED = "trained.npy"


def quiet_tensorflow():
  """Before TensorFlow loads: no C++ INFO lines, TensorFlow's own CPU kernels
  (oneDNN's notice no log level hides). Either can be overridden."""
  os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
  os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def argument_parser(doc, output_dir_holds, ratings, short):
  """A demo's command line with the flags every demo here takes; the demo
  adds its own. `doc`: the script's docstring (its first line describes the
  script); `output_dir_holds`: what goes to --output_dir; `ratings`: the
  default of --ratings (how many examples movielens_data draws); `short`:
  the values --short (a quick run, as CI's) gives flags, e.g.
  {"ratings": 20_000}."""
  parser = argparse.ArgumentParser(description=doc.splitlines()[0])
  parser.add_argument("--config", help="your Redis table config JSON")
  parser.add_argument("--output_dir", help=output_dir_holds)
  parser.add_argument("--ratings", type=int, default=ratings)
  parser.add_argument(
      "--short", action=_ShortRun, nargs=0, default=False, const=short,
      help="a quick run (CI): " + ", ".join("--%s %s" % (k, v)
                                             for k, v in short.items()))
  # The second process of train_then_reload: the batch it predicts, and the
  # file its predictions go to.
  parser.add_argument("--features")
  parser.add_argument("--predictions")
  return parser


class _ShortRun(argparse.Action):
  """--short: sets the flags of `const`, a dict (flags given after it on the
  command line win)."""

  def __call__(self, parser, namespace, values, option_string=None):
    del parser, values, option_string
    setattr(namespace, self.dest, True)
    for name, value in self.const.items():
      setattr(namespace, name, value)


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


def _run_again(script, args):
  """Runs `script` (a demo) with `args` in a fresh Python process; returns
  its stdout. Raises CalledProcessError with its output on failure."""
  run = subprocess.run([sys.executable, script] + list(args),
                       capture_output=True, text=True, check=False)
  if run.returncode != 0:
    sys.stderr.write(run.stdout[-3000:] + run.stderr[-5000:])
    raise subprocess.CalledProcessError(run.returncode, script,
                                        run.stdout, run.stderr)
  return run.stdout


def save_for_check(workdir, features, predictions):
  """In a `train` of train_then_reload: the held-out batch (a dict of arrays)
  and the trained model's `predictions` for it."""
  np.savez(os.path.join(workdir, _FEATURES), **features)
  np.save(os.path.join(workdir, _TRAINED), predictions)


def train_then_reload(script, args, train, reload_flags):
  """A demo's whole run, in its tables' Redis (redis_config) and a private
  work directory: `train(args, config_path, workdir)` trains, saves what it
  saves under args.output_dir (a new temporary directory if unset), calls
  save_for_check and returns the summary. Then `script` runs again in a new
  process with `reload_flags` (a list: the flags that make it the second
  process) and --config, --output_dir, --features and --predictions: it
  loads what the run saved and predicts the batch. The summary gets
  `loaded_max_abs_difference` (0 when both processes agree), is printed and
  written to <output_dir>/summary.json, and is returned."""
  prefix = os.path.splitext(os.path.basename(script))[0] + "_"
  args.output_dir = args.output_dir or tempfile.mkdtemp(prefix=prefix)
  os.makedirs(args.output_dir, exist_ok=True)
  with tempfile.TemporaryDirectory(prefix=prefix) as workdir:
    with redis_config(args.config, workdir) as config_path:
      summary = train(args, config_path, workdir)
      loaded = os.path.join(workdir, "loaded.npy")
      _run_again(script, list(reload_flags) + [
          "--config", config_path, "--output_dir", args.output_dir,
          "--features", os.path.join(workdir, _FEATURES),
          "--predictions", loaded])
      summary["loaded_max_abs_difference"] = _compare_predictions(
          os.path.join(workdir, _TRAINED), loaded)
  _write_summary(os.path.join(args.output_dir, "summary.json"), summary)
  return summary


def _compare_predictions(trained_path, loaded_path):
  """Largest absolute difference between two saved prediction arrays."""
  trained = np.load(trained_path)
  loaded = np.load(loaded_path)
  if trained.shape != loaded.shape:
    raise ValueError("prediction shapes differ: %s vs %s" %
                     (trained.shape, loaded.shape))
  return float(np.max(np.abs(trained - loaded)))


def _write_summary(path, summary):
  """Prints the summary and writes it as JSON to `path`."""
  text = json.dumps(summary, indent=1, sort_keys=True)
  print(text)
  with open(path, "w") as f:
    f.write(text)

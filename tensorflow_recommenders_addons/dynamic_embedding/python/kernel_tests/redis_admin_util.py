"""Running tfra-redis from tests: in-process (fast) or as the console script
in a child process (for signals and memory), and key/value files."""

import collections
import contextlib
import io
import json
import os
import subprocess
import sys

import numpy as np

from tensorflow_recommenders_addons.dynamic_embedding.redis_admin import cli

CliResult = collections.namedtuple("CliResult", "rc out err")

# The console script, beside the package in the test's runfiles.
_LAUNCHER = os.path.join("build_deps", "console_scripts", "tfra_redis_cli.py")


def run(config, *args):
  """`tfra-redis --config CONFIG ARGS...` in this process."""
  out, err = io.StringIO(), io.StringIO()
  argv = ["--config", config, *[str(a) for a in args]]
  with contextlib.redirect_stderr(err):
    rc = cli.main(argv, out=out)
  return CliResult(rc, out.getvalue(), err.getvalue())


def run_json(config, *args):
  """The `result` of a command that must succeed."""
  result = run(config, "--json", *args)
  assert result.rc == 0, result.err
  return json.loads(result.out)["result"]


def tables(config, tag):
  """{name: table} of `tables --tag TAG`."""
  return {t["name"]: t for t in run_json(config, "tables", "--tag", tag)[
      "tables"]}


def runfiles_root():
  """The folder holding the package (and the console script) in runfiles."""
  import tensorflow_recommenders_addons  # pylint: disable=g-import-not-at-top
  return os.path.dirname(os.path.dirname(
      os.path.abspath(tensorflow_recommenders_addons.__file__)))


def launcher_command(config, *args):
  """argv of the console script as the wheel installs it."""
  root = runfiles_root()
  return [sys.executable, os.path.join(root, _LAUNCHER), "--config", config,
          *[str(a) for a in args]]


def launcher_env():
  return dict(os.environ, PYTHONPATH=runfiles_root())


def spawn(config, *args):
  """The console script in a child process (stdout and stderr piped)."""
  return subprocess.Popen(launcher_command(config, *args), env=launcher_env(),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)


# Runs argv[1:] and reports its peak RSS. A child's ru_maxrss counts what it
# had before exec, so a child forked straight from a test that holds
# TensorFlow would report the test's size: this small interpreter forks it.
_MEASURE = """
import resource, subprocess, sys
rc = subprocess.call(sys.argv[1:])
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
sys.stderr.write("peak_rss_kib=%d\\n" % peak)
sys.exit(rc)
"""


def run_measured(config, *args):
  """(rc, out, err, peak RSS in MiB) of the console script in a child."""
  result = subprocess.run(
      [sys.executable, "-c", _MEASURE, *launcher_command(config, *args)],
      env=launcher_env(), capture_output=True, text=True, check=False)
  err, _, peak = result.stderr.rstrip().rpartition("peak_rss_kib=")
  return result.returncode, result.stdout, err, int(peak) / 1024.0


def write_kv_files(folder, name, keys, rows):
  """Writes int64 `keys` and float32 `rows` as <name>-keys / -values."""
  np.asarray(keys, dtype="<i8").tofile(os.path.join(folder, name + "-keys"))
  np.asarray(rows, dtype="<f4").tofile(os.path.join(folder, name + "-values"))


def read_kv_files(folder, name, dim):
  """{key: row bytes} of int64 / float32 key/value files."""
  keys = np.fromfile(os.path.join(folder, name + "-keys"), dtype="<i8")
  rows = np.fromfile(os.path.join(folder, name + "-values"),
                     dtype="<f4").reshape(len(keys), dim)
  return dict(zip(keys.tolist(), (r.tobytes() for r in rows)))

"""This package staged for a run outside Bazel: the Python sources plus the op library.

The package loads `dynamic_embedding/core/_redis_table_ops.so` from beside its
own files; in the source tree that file exists only under bazel-bin. A staged
copy in a temp dir (tests and caches left out) with the built .so in place is
importable with PYTHONPATH=<stage> and leaves the source tree untouched.
"""

import os
import shutil
import subprocess
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGE = "tensorflow_recommenders_addons"
SO_RELATIVE = PACKAGE + "/dynamic_embedding/core/_redis_table_ops.so"
SO_TARGET = "//" + os.path.dirname(SO_RELATIVE) + ":_redis_table_ops.so"


def built_op_library():
  """Builds the op library with Bazel (progress to stderr); returns the .so path."""
  subprocess.run(["bazel", "build", SO_TARGET], cwd=REPO_ROOT, check=True, stdout=sys.stderr)
  bazel_bin = subprocess.run(["bazel", "info", "bazel-bin"], cwd=REPO_ROOT, check=True,
                             capture_output=True, text=True).stdout.strip()
  return os.path.join(bazel_bin, SO_RELATIVE)


def stage(so_path, dest):
  """Copies the package into `dest`/stage with `so_path` in place; returns that folder."""
  root = os.path.join(dest, "stage")
  shutil.copytree(os.path.join(REPO_ROOT, PACKAGE), os.path.join(root, PACKAGE),
                  ignore=shutil.ignore_patterns("__pycache__", "kernel_tests", "*.so"))
  shutil.copy(so_path, os.path.join(root, SO_RELATIVE))
  return root

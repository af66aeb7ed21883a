"""The package imports downward only.

Read from source, no module imports one that (directly or through others)
imports it back, deferred imports inside functions included; and in a fresh
interpreter every module imports, in any order the test picks.
"""

import os
import subprocess
import sys

import pytest

from tools.testing import import_graph

_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))))
_PACKAGE = "tensorflow_recommenders_addons"


def _library_modules():
  """Every module of the package except its tests."""
  return sorted(m for m in import_graph.modules_under(_REPO_ROOT, _PACKAGE)
                if ".kernel_tests" not in m)


def test_the_package_has_no_import_cycle():
  graph = import_graph.import_graph(_REPO_ROOT, [_PACKAGE])
  creator = _PACKAGE + ".dynamic_embedding.python.ops.dynamic_embedding_creator"
  assert creator in graph  # The tree was found.
  assert [import_graph.describe(graph, c)
          for c in import_graph.cycles(graph)] == []


@pytest.mark.parametrize("order", ["sorted", "reversed"])
def test_every_module_imports_in_a_fresh_interpreter(order):
  modules = _library_modules()
  assert len(modules) > 20, modules
  if order == "reversed":
    modules.reverse()
  probe = ("import importlib, sys\n"
           "for name in sys.argv[1:]:\n"
           "  importlib.import_module(name)\n"
           "print('imported', len(sys.argv) - 1)\n")
  result = subprocess.run(
      [sys.executable, "-c", probe] + modules, capture_output=True, text=True,
      check=False, env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
  assert result.returncode == 0, result.stderr[-3000:]
  assert result.stdout.strip().endswith("imported %d" % len(modules))


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

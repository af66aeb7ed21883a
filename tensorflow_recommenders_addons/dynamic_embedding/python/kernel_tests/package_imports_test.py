"""The package imports downward only, behind upstream's module paths.

Read from source, no module imports one that (directly or through others)
imports it back, deferred imports inside functions included; in a fresh
interpreter every module imports, in any order the test picks; and the
module paths upstream TFRA 0.8 scripts import from still hold the public
names (the same objects as `de.<name>`).
"""

import importlib
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


_OPS = "tensorflow_recommenders_addons.dynamic_embedding.python.ops."
# {module upstream scripts import from: names they import from it}.
_UPSTREAM_PATHS = {
    "dynamic_embedding_creator": [
        "CuckooHashTableConfig", "CuckooHashTableCreator",
        "DynamicEmbeddingSaver", "FileSystemSaver", "KVCreator",
        "RedisTableConfig", "RedisTableCreator"
    ],
    "dynamic_embedding_variable": ["Variable", "get_variable"],
    "redis_table_ops": ["RedisTable"],
}


@pytest.mark.parametrize("module", sorted(_UPSTREAM_PATHS))
def test_upstream_module_paths_hold_the_public_names(module):
  from tensorflow_recommenders_addons import dynamic_embedding as de  # pylint: disable=g-import-not-at-top
  loaded = importlib.import_module(_OPS + module)
  for name in _UPSTREAM_PATHS[module]:
    assert getattr(loaded, name) is getattr(de, name), name


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

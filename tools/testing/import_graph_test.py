"""import_graph finds the cycles it exists to find, deferred ones included."""

import os
import sys
import textwrap

import pytest

if __package__ in (None, ""):
  sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(
      os.path.abspath(__file__)))))

from tools.testing import import_graph  # pylint: disable=g-import-not-at-top,wrong-import-position


def _package(root, files):
  """Writes {relative path: source} under `root`; returns `root` as str."""
  for relative, source in files.items():
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
  return str(root)


def _cycles(root, files):
  graph = import_graph.import_graph(_package(root, files), ["pkg"])
  return [import_graph.describe(graph, c) for c in import_graph.cycles(graph)]


def test_a_cycle_through_a_deferred_import_is_found(tmp_path):
  found = _cycles(tmp_path, {
      "pkg/__init__.py": "",
      "pkg/creator.py": "def make():\n  from pkg import table\n",
      "pkg/table.py": "from pkg.creator import make\n",
  })
  assert found == ["pkg.creator -> pkg.table -> pkg.creator"]


def test_a_cycle_through_a_package_init_is_found(tmp_path):
  found = _cycles(tmp_path, {
      "pkg/__init__.py": "from pkg.ops import table\n",
      "pkg/ops/__init__.py": "",
      "pkg/ops/table.py": "from pkg import ops\nimport pkg\n",
  })
  assert found == ["pkg -> pkg.ops.table -> pkg"]


def test_relative_imports_resolve_to_their_modules(tmp_path):
  found = _cycles(tmp_path, {
      "pkg/__init__.py": "",
      "pkg/a.py": "from . import b\n",
      "pkg/b.py": "from .sub.c import f\n",
      "pkg/sub/__init__.py": "",
      "pkg/sub/c.py": "from .. import a\ndef f():\n  pass\n",
  })
  assert found == ["pkg.a -> pkg.b -> pkg.sub.c -> pkg.a"]


def test_downward_imports_and_foreign_modules_are_no_cycle(tmp_path):
  found = _cycles(tmp_path, {
      "pkg/__init__.py": "from pkg.api import run\n",
      "pkg/api.py": "import os\nfrom pkg import low\ndef run():\n  pass\n",
      "pkg/low.py": "import json\n",
  })
  assert found == []


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

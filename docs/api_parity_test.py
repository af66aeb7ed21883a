"""docs/api_parity.md and the package's exports cannot drift apart.

Every `tfra.` / `de.` name in the first column of the page's tables resolves
in the installed package exactly when its row says "exists"; every public
name the package exports has an "exists" row, a row under "Names only this
package has", or is one of the submodules listed there.
"""

import importlib
import os
import re
import sys

import pytest

from tools.upstream_tests import list_public_api

_PAGE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                     "api_parity.md")
_PREFIXES = {"tfra.": "tensorflow_recommenders_addons.",
             "de.": "tensorflow_recommenders_addons.dynamic_embedding."}
_BACKTICKED = re.compile(r"`((?:tfra|de)\.[A-Za-z0-9_.]+)`")


def _page():
  with open(_PAGE, encoding="utf-8") as f:
    return f.read()


def _rows(text):
  """(names, state) of every table row whose state is a known one."""
  rows = []
  for line in text.splitlines():
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) >= 3 and cells[2] in ("exists", "missing", "absent"):
      rows.append((_BACKTICKED.findall(cells[0]), cells[2]))
  return rows


def _own_names(text):
  """Names of "Names only this package has" (table and submodule list)."""
  section = text.split("## Names only this package has", 1)[1]
  section = section.split("\n## ", 1)[0]
  return set(_BACKTICKED.findall(section))


def _resolves(dotted):
  for prefix, module in _PREFIXES.items():
    if dotted.startswith(prefix):
      path = module + dotted[len(prefix):]
      break
  parts = path.split(".")
  for split in range(len(parts), 0, -1):  # Longest importable module first.
    try:
      obj = importlib.import_module(".".join(parts[:split]))
    except ImportError:
      continue
    try:
      for attribute in parts[split:]:
        obj = getattr(obj, attribute)
      return True
    except AttributeError:
      return False
  return False


def test_the_page_lists_names_in_every_state():
  states = {state for _, state in _rows(_page())}
  assert states == {"exists", "missing", "absent"}
  assert sum(len(names) for names, _ in _rows(_page())) > 80


@pytest.mark.parametrize("names, state", _rows(_page()),
                         ids=lambda v: v if isinstance(v, str) else None)
def test_a_row_resolves_exactly_when_it_exists(names, state):
  for name in names:
    assert _resolves(name) == (state == "exists"), (name, state)


def test_every_exported_name_has_a_row():
  text = _page()
  listed = {n for names, state in _rows(text) if state == "exists"
            for n in names} | _own_names(text)
  exported = [line.split()[0] for line in list_public_api.public_names()
              if line.split()[1] != "MISSING"]
  assert [name for name in exported if name not in listed] == []


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

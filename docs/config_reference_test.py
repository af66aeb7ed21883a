"""The config reference and README cannot drift from the code.

- Every key of the C++ field table (printed as JSON by the tool
  core/lib/redis_table:print_config_fields) has a row in the key table of
  docs/api_docs/tfra/dynamic_embedding/RedisBackend.md with the same JSON
  type, default, unit and range, and the table has no other key.
- README.md links every document under docs/.

Under Bazel the paths come as flags (see docs/BUILD); run directly
(`python docs/config_reference_test.py`) it uses the source tree and bazel-bin.
"""

import argparse
import json
import os
import re
import subprocess
import sys

import pytest

_DOCS_DIR = os.path.dirname(os.path.abspath(__file__))
_REPO_ROOT = os.path.dirname(_DOCS_DIR)
_DEFAULT_PATHS = {
    "fields_tool": os.path.join(
        _REPO_ROOT, "bazel-bin", "tensorflow_recommenders_addons",
        "dynamic_embedding", "core", "lib", "redis_table",
        "print_config_fields"),
    "reference": os.path.join(_DOCS_DIR, "api_docs", "tfra",
                              "dynamic_embedding", "RedisBackend.md"),
    "readme": os.path.join(_REPO_ROOT, "README.md"),
}


def _path(name):
  """A path given by main() (through the environment, since pytest imports
  this file anew), else the source-tree default."""
  return os.environ.get("TFRA_DOCS_TEST_" + name.upper(),
                        _DEFAULT_PATHS[name])


_INT32_MIN, _INT32_MAX = -2**31, 2**31 - 1
_INT64_MIN, _INT64_MAX = -2**63, 2**63 - 1
_NO_VALUE = "–"  # an empty cell (no unit, no range)


def expected_range(field):
  """The Range cell of an integer key: "0–2", "≥ 1", "≤ 16384" or "any"."""
  if "min" not in field:
    return _NO_VALUE
  low = None if field["min"] in (_INT32_MIN, _INT64_MIN) else field["min"]
  high = None if field["max"] in (_INT32_MAX, _INT64_MAX) else field["max"]
  if low is not None and high is not None:
    return "%d–%d" % (low, high)
  if low is not None:
    return "≥ %d" % low
  if high is not None:
    return "≤ %d" % high
  return "any"


def code_fields():
  output = subprocess.run([_path("fields_tool")], capture_output=True,
                          text=True, check=True).stdout
  return json.loads(output)


def _cells(line):
  return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _unquote(cell):
  match = re.fullmatch(r"`(.*)`", cell)
  return match.group(1) if match else cell


def doc_rows():
  """{key: {column: cell}} from the table whose header starts with "Key"."""
  with open(_path("reference"), encoding="utf-8") as reference:
    lines = reference.read().splitlines()
  header_at = next(i for i, line in enumerate(lines)
                   if line.startswith("| Key |"))
  header = [name.lower() for name in _cells(lines[header_at])]
  rows = {}
  for line in lines[header_at + 2:]:
    if not line.startswith("|"):
      break
    row = dict(zip(header, _cells(line)))
    key = _unquote(row["key"])
    assert key not in rows, "key %s documented twice" % key
    rows[key] = row
  return rows


def test_every_config_key_is_documented_and_nothing_else():
  assert [f["name"] for f in code_fields()] and set(doc_rows()) == {
      f["name"] for f in code_fields()}


def test_documented_type_default_unit_and_range_match_the_code():
  rows = doc_rows()
  mismatches = []
  for field in code_fields():
    row = rows.get(field["name"])
    if row is None:
      continue  # reported by the test above
    want = {
        "json type": field["json_type"],
        "default": field["default"],
        "unit": field["unit"] or _NO_VALUE,
        "range": expected_range(field),
    }
    got = {
        "json type": row["json type"],
        "default": _unquote(row["default"]),
        "unit": row["unit"],
        "range": row["range"],
    }
    for column, value in want.items():
      if got[column] != value:
        mismatches.append("%s: %s is %r in the docs, %r in the code" %
                          (field["name"], column, got[column], value))
  assert not mismatches, "\n".join(mismatches)


def test_readme_links_every_document():
  with open(_path("readme"), encoding="utf-8") as readme:
    text = readme.read()
  documents = []
  for folder, _, files in os.walk(_DOCS_DIR):
    for name in files:
      if name.endswith(".md"):
        documents.append(os.path.relpath(os.path.join(folder, name),
                                         _REPO_ROOT))
  assert documents
  unlinked = [d for d in sorted(documents) if "](%s)" % d not in text]
  assert not unlinked, "README.md does not link %s" % unlinked


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument("--fields-tool")
  parser.add_argument("--reference")
  parser.add_argument("--readme")
  args, rest = parser.parse_known_args()
  for name in _DEFAULT_PATHS:
    if getattr(args, name):
      os.environ["TFRA_DOCS_TEST_" + name.upper()] = os.path.abspath(
          getattr(args, name))
  return pytest.main([__file__, "-v", "-p", "no:cacheprovider"] + rest)


if __name__ == "__main__":
  sys.exit(main())

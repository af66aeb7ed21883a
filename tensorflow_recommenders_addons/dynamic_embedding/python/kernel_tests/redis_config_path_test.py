"""The Python side of the config-path order, on the cases shared with C++.

core/lib/redis_table/config_path_test.cc runs the same cases file against
the kernel's resolution, so the two sides cannot drift apart.
"""

import json
import os
import sys

import pytest

from tensorflow_recommenders_addons.dynamic_embedding.python.ops import redis_config_path

_CASES_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "testdata", "config_path_cases.json")

with open(_CASES_FILE) as cases_file:
  _CASES = json.load(cases_file)["cases"]


def _substitute(value, tmp):
  return value.replace("${TMP}", tmp) if isinstance(value, str) else value


@pytest.mark.parametrize("case", _CASES, ids=[c["name"] for c in _CASES])
def test_shared_case(case, tmp_path):
  tmp = str(tmp_path)
  for folder in case["dirs"]:
    os.makedirs(os.path.join(tmp, folder), exist_ok=True)
  for name in case["files"]:
    path = os.path.join(tmp, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as out:
      out.write("{}")
  environ = {k: _substitute(v, tmp) for k, v in case["env"].items()}
  attrs = case["attrs"]
  expect = case["expect"]
  resolve = lambda: redis_config_path.resolve_config_path(  # pylint: disable=g-long-lambda
      attrs["redis_config_abs_dir_env"],
      _substitute(attrs["redis_config_abs_dir"], tmp), environ)
  if "error" in expect:
    with pytest.raises(redis_config_path.ConfigPathError) as raised:
      resolve()
    assert raised.value.code == expect["error"]
    for part in expect["message_contains"]:
      assert _substitute(part, tmp) in str(raised.value)
  else:
    choice = resolve()
    assert choice.path == _substitute(expect["path"], tmp)
    assert choice.source == expect["source"]


def test_cases_file_covers_every_source_and_error():
  sources = {c["expect"].get("source") for c in _CASES}
  errors = {c["expect"].get("error") for c in _CASES}
  assert {"attr_env", "global_env", "attr_path"} <= sources
  assert {"NOT_FOUND", "FAILED_PRECONDITION"} <= errors


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

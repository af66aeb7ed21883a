"""Reads every reverse-check table with upstream TFRA 0.8.1 (run under the upstream venv).

    TF_USE_LEGACY_KERAS=1 "$(bash tools/compat/ensure_tfra081_venv.sh)" \\
        tools/compat/reverse/read_upstream.py CASES_JSON OUT_JSON

One process for all cases (TensorFlow starts once), through upstream_reader.read: the
lookup of every written key plus one missing key, size() and export(). For a case with
"files", upstream first loads our save_to_file_system files into a table of its own. OUT_JSON gets
{case name: result} with "error" for a case upstream failed on.
"""

import contextlib
import json
import os
import pathlib
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

if not __package__:
  # Run as a script: `tools` is importable from the repository root. Appended, so that
  # under the upstream venv its tensorflow_recommenders_addons wins over this checkout's.
  sys.path.append(str(pathlib.Path(__file__).resolve().parents[3]))

from tools.compat import upstream_reader  # pylint: disable=wrong-import-position


def read_case(case):
  keys = [k for k, _ in case["inserted"]] + [case["missing_key"]]
  # A file case reads the table upstream loaded the files into.
  name = case["embedding_name"] + ("_ld" if case["files"] else "")
  args = upstream_reader.parse_args([
      "--config", case["config_path"], "--embedding-name", name,
      "--key-dtype", case["key_dtype"], "--value-dtype", case["value_dtype"],
      "--dim", str(case["dim"]), "--keys", json.dumps(keys), "--export"])
  if case["files"]:
    load_files(case, args)
  return upstream_reader.read(args)


def load_files(case, args):
  """Upstream's load_from_file_system of the files our table saved."""
  # pylint: disable=import-outside-toplevel
  import tensorflow as tf
  import tensorflow_recommenders_addons.dynamic_embedding as de
  table = upstream_reader.build_table(args, tf, de)
  table.load_from_file_system(case["files_dir"], file_name=case["embedding_name"])


def main():
  with open(sys.argv[1]) as f:
    cases = json.load(f)
  results = {}
  # Upstream print()s at import time; stdout stays clean for callers.
  with contextlib.redirect_stdout(sys.stderr):
    for case in cases:
      try:
        results[case["name"]] = read_case(case)
      except Exception as error:  # pylint: disable=broad-except
        results[case["name"]] = {"error": "%s: %s" % (type(error).__name__, error)}
  with open(sys.argv[2], "w") as f:
    json.dump(results, f)
  return 0


if __name__ == "__main__":
  sys.exit(main())

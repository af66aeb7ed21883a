"""Reverse compatibility: TFRA 0.8.1 reads back exactly what THIS project's table wrote.

Starts a private standalone server and a private 3-master cluster (tools/testing/
redis_servers.py), writes every case of cases.py with our RedisTable (one process, our
Python), then reads all of them with upstream TFRA 0.8.1 (one process, the upstream venv)
and compares lookups of every key plus a missing one, size() and export() exactly. Prints one
line per case and a final PASS/FAIL line; exit status 0 only when every case matched.

    python tools/compat/reverse/check.py --ours-python .venv/bin/python \\
        --ours-pythonpath STAGE --tfra081-python "$(bash tools/compat/ensure_tfra081_venv.sh)"

tools/compat/reverse/check.sh prepares STAGE and the upstream venv; use that.
"""

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

if not __package__:
  # Run as a script: `tools` is importable from the repository root.
  sys.path.append(str(pathlib.Path(__file__).resolve().parents[3]))

# pylint: disable=wrong-import-position
from tools.compat.reverse import cases as reverse_cases
from tools.testing import redis_servers
# pylint: enable=wrong-import-position

HERE = os.path.dirname(os.path.abspath(__file__))


def write_configs(cases, deployments, workdir):
  """Writes each case's table config, pointed at its deployment."""
  for case in cases:
    case["config_path"] = deployments[case["deployment"]].write_table_config(
        os.path.join(workdir, case["name"] + ".json"), **case["config"],
        model_lib_abs_dir=os.path.join(workdir, "model_lib") + "/")
    case["files_dir"] = os.path.join(workdir, "files")


def run(what, command, env, timeout_s):
  started = time.monotonic()
  proc = subprocess.run(command, env=env, capture_output=True, encoding="utf-8",
                        errors="replace", timeout=timeout_s, check=False)
  print("%s: %.1f s" % (what, time.monotonic() - started))
  if proc.returncode != 0:
    raise RuntimeError("%s failed (exit %d):\n%s" % (what, proc.returncode,
                                                     proc.stderr[-4000:]))


def expected_rows(case):
  return {json.dumps(k): v for k, v in case["inserted"]}


def compare(case, result):
  """Problems found in upstream's reading of one case (empty: exact match)."""
  if "error" in result:
    return ["upstream failed: " + result["error"][:1500]]
  problems = []
  count = len(case["inserted"])
  if result["exists"] != [True] * count + [False]:
    problems.append("exists %s" % result["exists"])
  for (key, want), got in zip(case["inserted"], result["values"]):
    if want != got:
      problems.append("lookup %s: want %s, got %s" % (key, want, got))
  if result["size"] != count:
    problems.append("size %d, want %d" % (result["size"], count))
  exported = result["export"]
  got_rows = {json.dumps(k): v for k, v in zip(exported["keys"], exported["values"])}
  if len(exported["keys"]) != count or got_rows != expected_rows(case):
    problems.append("export differs (%d rows)" % len(exported["keys"]))
  return problems


def check(args, workdir):
  cases = reverse_cases.cases()
  with redis_servers.standalone() as standalone, redis_servers.cluster(
      masters=3, replicas_per_master=0) as cluster:
    write_configs(cases, {"standalone": standalone, "cluster": cluster}, workdir)
    cases_path = os.path.join(workdir, "cases.json")
    with open(cases_path, "w") as f:
      json.dump(cases, f)
    ours_env = dict(os.environ, PYTHONPATH=args.ours_pythonpath)
    ours_env.pop("TFRA_SAVED_KV", None)
    run("write with ours", [args.ours_python, os.path.join(HERE, "write_ours.py"),
                            cases_path], ours_env, 600)
    results_path = os.path.join(workdir, "results.json")
    upstream_env = dict(os.environ, TF_USE_LEGACY_KERAS="1")
    for name in ("PYTHONPATH", "TFRA_SAVED_KV"):  # the files dir is given explicitly
      upstream_env.pop(name, None)
    run("read with TFRA 0.8.1",
        [args.tfra081_python, os.path.join(HERE, "read_upstream.py"), cases_path,
         results_path], upstream_env, 600)
  with open(results_path) as f:
    results = json.load(f)
  failures = 0
  for case in cases:
    problems = compare(case, results.get(case["name"], {"error": "no result"}))
    failures += bool(problems)
    print("%s (%s%s, %s -> %s, %s): %s" % (
        case["name"], case["deployment"], ", via files" if case["files"] else "",
        case["key_dtype"], case["value_dtype"],
        json.dumps({k: v for k, v in case["config"].items() if k != "table_store_mode"}),
        "MISMATCH " + "; ".join(problems)[:2000] if problems else "ok"))
  return len(cases), failures


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--ours-python", required=True)
  parser.add_argument("--ours-pythonpath", required=True,
                      help="folder holding tensorflow_recommenders_addons with its .so")
  parser.add_argument("--tfra081-python", required=True)
  args = parser.parse_args()
  workdir = tempfile.mkdtemp(prefix="tfra-reverse-check-")
  try:
    total, failures = check(args, workdir)
  except (RuntimeError, subprocess.TimeoutExpired, OSError) as error:
    print(error)
    print("reverse compatibility (TFRA 0.8.1 reads ours): FAIL (did not complete)")
    return 1
  finally:
    shutil.rmtree(workdir, ignore_errors=True)
  verdict = "PASS" if failures == 0 else "FAIL"
  print("reverse compatibility (TFRA 0.8.1 reads ours): %s, %d/%d cases match" %
        (verdict, total - failures, total))
  return 1 if failures else 0


if __name__ == "__main__":
  sys.exit(main())

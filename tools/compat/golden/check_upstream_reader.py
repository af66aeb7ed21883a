"""Self-test of upstream_reader.py: load golden dumps into fresh Redis, read them with upstream.

For every golden case that inserted data (default: all in the golden dir), writes its Redis
dump byte-for-byte into a private server (standalone) or 3-master cluster, points the case's
config at it, runs upstream_reader.py and compares values/exists with "inserted". The
reverse check (tools/compat/reverse/) has the same shape with data our table wrote.

    TF_USE_LEGACY_KERAS=1 "$(bash tools/compat/ensure_tfra081_venv.sh)" \\
        tools/compat/golden/check_upstream_reader.py [--golden DIR] \\
        [--cases a_standalone_default,...]

Exit status 0 when every case matched; prints one line per case.
"""

import argparse
import glob
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

if not __package__:
  # Run as a script: `tools` is importable from the repository root. Appended, so that
  # under the upstream venv its tensorflow_recommenders_addons wins over this checkout's.
  sys.path.append(str(pathlib.Path(__file__).resolve().parents[3]))

# pylint: disable=wrong-import-position
from tools.compat import redis_keys
from tools.compat.golden import make_redis_golden
from tools.testing import redis_servers
# pylint: enable=wrong-import-position

UPSTREAM_READER = pathlib.Path(__file__).resolve().parents[1] / "upstream_reader.py"


def read_back(case, connection, workdir):
  """Upstream's reading of the case's keys, pointed by `connection` (a table_config())."""
  cfg = dict(case["config"], **connection, model_lib_abs_dir=workdir + "/")
  if "redis_hash_tags_runtime" in cfg and "redis_hash_tags_import" not in cfg:
    # Upstream compares runtime buckets with *import* buckets (generated tags when this key is
    # absent); when they differ it re-buckets existing data at construction and corrupts it
    # (see testdata/tfra081/README.md). Real users of explicit tags must set both.
    cfg["redis_hash_tags_import"] = cfg["redis_hash_tags_runtime"]
  config_path = os.path.join(workdir, "config.json")
  with open(config_path, "w") as f:
    json.dump(cfg, f)
  keys = [k for k, _ in case["inserted"]]
  missing = "61627365" if case["key_dtype"] == "string" else 999999
  command = [sys.executable, str(UPSTREAM_READER), "--config", config_path,
             "--embedding-name", case["embedding_name"], "--key-dtype", case["key_dtype"],
             "--value-dtype", case["value_dtype"], "--dim", str(case["dim"]),
             "--keys", json.dumps(keys + [missing])]
  proc = subprocess.run(command, capture_output=True, encoding="utf-8", errors="replace",
                        timeout=300, check=False)
  if proc.returncode != 0:
    return None, proc.stderr[-3000:]
  return json.loads(proc.stdout.strip().splitlines()[-1]), None


def compare(case, result):
  problems = []
  if result["exists"] != [True] * len(case["inserted"]) + [False]:
    problems.append(f"exists {result['exists']}")
  for (key, want), got in zip(case["inserted"], result["values"]):
    if want != got:
      problems.append(f"key {key}: want {want}, got {got}")
  return problems


def check_case(path, servers, workroot):
  """Problems of one golden case (None: not an insert case); `servers` by deployment kind."""
  with open(path) as f:
    case = json.load(f)
  if case.get("status") != "ok" or case.get("kind") != "insert":
    return None
  target = servers[case["deployment"]]
  redis_keys.flush_all(target.ports)
  redis_keys.load_hashes(target.ports, case["redis"])
  workdir = tempfile.mkdtemp(dir=workroot)
  result, error = read_back(case, target.connection, workdir)
  if error:
    return [f"reader failed: {error}"]
  return compare(case, result)


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--golden", default=str(make_redis_golden.DEFAULT_OUT))
  parser.add_argument("--cases", default="")
  args = parser.parse_args()
  wanted = [c for c in args.cases.split(",") if c]
  paths = sorted(p for p in glob.glob(os.path.join(args.golden, "*.json"))
                 if not p.endswith("index.json"))
  if wanted:
    paths = [p for p in paths if os.path.basename(p)[:-5] in wanted]
  failures = 0
  workroot = tempfile.mkdtemp(prefix="tfra081-reader-")
  try:
    with redis_servers.standalone() as standalone, redis_servers.cluster(
        masters=3, replicas_per_master=0) as cluster:
      servers = {"standalone": make_redis_golden.Servers(standalone),
                 "cluster": make_redis_golden.Servers(cluster)}
      for path in paths:
        problems = check_case(path, servers, workroot)
        name = os.path.basename(path)[:-5]
        if problems is None:
          print(f"{name}: skipped (not an insert case)")
        elif problems:
          failures += 1
          print(f"{name}: MISMATCH " + "; ".join(problems)[:2000])
        else:
          print(f"{name}: ok")
        sys.stdout.flush()
  finally:
    shutil.rmtree(workroot, ignore_errors=True)
  return 1 if failures else 0


if __name__ == "__main__":
  sys.exit(main())

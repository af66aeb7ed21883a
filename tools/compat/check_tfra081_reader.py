"""Self-test of read_with_tfra081.py: load golden dumps into fresh Redis, read them with upstream.

For every golden case that inserted data (default: all in the golden dir), writes its Redis
dump byte-for-byte into a private server (standalone) or 3-master cluster, points the case's
config at it, runs read_with_tfra081.py and compares values/exists with "inserted". This is
also the shape of the reverse-direction test: replace the golden dump by data written by
this project's implementation.

    TF_USE_LEGACY_KERAS=1 /root/tfra081-venv/bin/python tools/compat/check_tfra081_reader.py \\
        [--golden DIR] [--cases a_standalone_default,...]

Exit status 0 when every case matched; prints one line per case.
"""

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

from private_redis import PrivateRedis, flush_all, master_slot_ranges
from resp_client import RespClient
import tfra_layout

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_GOLDEN = os.path.normpath(os.path.join(
    HERE, os.pardir, os.pardir, "tensorflow_recommenders_addons", "dynamic_embedding", "python",
    "kernel_tests", "testdata", "tfra081"))


def restore_dump(dump, ports):
  """HSETs every hash of a golden dump onto the node owning its slot."""
  owners = master_slot_ranges(ports[0]) if len(ports) > 1 else [[ports[0], 0, 16383]]
  for key_hex, entry in dump.items():
    if entry["type"] != "hash":
      continue
    key = bytes.fromhex(key_hex)
    slot = tfra_layout.key_slot(key)
    port = next(p for p, first, last in owners if first <= slot <= last)
    args = ["HSET", key]
    for field, value in entry["fields"].items():
      args += [bytes.fromhex(field), bytes.fromhex(value)]
    with RespClient(port) as client:
      client.command(*args)


def read_back(case, ports, workdir):
  cfg = dict(case["config"], redis_host_port=list(ports),
             redis_host_ip=["127.0.0.1"] * len(ports), model_lib_abs_dir=workdir + "/")
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
  command = [sys.executable, os.path.join(HERE, "read_with_tfra081.py"), "--config", config_path,
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


def check_case(path, deployments, workroot):
  with open(path) as f:
    case = json.load(f)
  if case.get("status") != "ok" or case.get("kind") != "insert":
    return None
  ports = deployments[case["deployment"]]
  flush_all(ports)
  restore_dump(case["redis"], ports)
  workdir = tempfile.mkdtemp(dir=workroot)
  result, error = read_back(case, ports, workdir)
  if error:
    return [f"reader failed: {error}"]
  return compare(case, result)


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--golden", default=DEFAULT_GOLDEN)
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
    with PrivateRedis() as redis:
      deployments = {"standalone": [redis.start_standalone()],
                     "cluster": redis.start_cluster(3)}
      for path in paths:
        problems = check_case(path, deployments, workroot)
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

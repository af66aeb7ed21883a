"""Writes golden Redis data produced by upstream TFRA 0.8.1, one JSON file per case.

Run under the upstream virtualenv (tools/compat/README.md), from anywhere:

    TF_USE_LEGACY_KERAS=1 "$(bash tools/compat/ensure_tfra081_venv.sh)" \\
        tools/compat/golden/make_redis_golden.py [--out DIR] \\
        [--cases a_standalone_default,c_cluster_s4_crc]

The parent process (no TensorFlow) starts a private standalone server and a 3-master cluster
(tools/testing/redis_servers.py), and for every case: FLUSHALL, start MONITOR, run the case
in a child process (TensorFlow + upstream), stop MONITOR, check the layout against
layout_prediction.py and write <out>/<case>.json (default: the test data folder
tensorflow_recommenders_addons/dynamic_embedding/python/kernel_tests/testdata/tfra081/).
Servers are stopped on exit, also on errors. A crashing case is recorded (status "crashed")
and the run continues.
"""

import argparse
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import traceback

if not __package__:
  # Run as a script: `tools` is importable from the repository root. Appended, so that
  # under the upstream venv its tensorflow_recommenders_addons wins over this checkout's.
  sys.path.append(str(pathlib.Path(__file__).resolve().parents[3]))

# pylint: disable=wrong-import-position
from tools.compat import redis_keys
from tools.compat.golden import layout_checks
from tools.compat.resp_client import MonitorRecorder
from tools.testing import redis_servers
# pylint: enable=wrong-import-position

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
DEFAULT_OUT = REPO_ROOT.joinpath("tensorflow_recommenders_addons", "dynamic_embedding",
                                 "python", "kernel_tests", "testdata", "tfra081")
CHILD_TIMEOUT_S = 600
DATA_COMMANDS = {b"HMSET", b"HSET", b"HMGET", b"HDEL", b"RESTORE", b"HMACCUM"}
MAX_DISTINCT = 120
_LOG_LINE = re.compile(
    r": ([IWEF]) tensorflow_recommenders_addons/dynamic_embedding/\S*?([\w.]+:\d+)\] (.*)")


def _insert(deployment, key_dtype, value_dtype, dim, keys="INT64_KEYS", **more):
  """An "insert" case; `keys` names a key list of redis_cases, `more` = api/config keys."""
  return (deployment, "insert", dict(key_dtype=key_dtype, value_dtype=value_dtype, dim=dim,
                                     keys=keys, **more))


_TAGS = dict(storage_slice=2, redis_hash_tags_runtime=["{abc}", "77"])
# name -> (deployment, kind of case function in the child, kwargs). Import-free for the parent.
_FIXED_CASES = {
    "a_standalone_default": _insert("standalone", "int64", "float32", 4, api="get_variable"),
    "d_standalone_int32_int32": _insert("standalone", "int32", "int32", 3, "INT32_KEYS"),
    "d_standalone_int32_double": _insert("standalone", "int32", "float64", 3, "INT32_KEYS"),
    "e_standalone_string_float": _insert("standalone", "string", "float32", 2, "STRING_KEYS"),
    "e_standalone_int64_string": _insert("standalone", "int64", "string", 3),
    "f_standalone_md5": _insert("standalone", "int64", "float32", 4, using_md5_prefix_name=True),
    "g_standalone_tag_v1": _insert("standalone", "int64", "float32", 4, api="RedisTable",
                                   model_tag_runtime="v1"),
    "h_standalone_two_shards_adam": ("standalone", "train", {}),
    "i_standalone_checkpoint_mode1": ("standalone", "checkpoint", dict(table_store_mode=1)),
    "i_standalone_checkpoint_mode0": ("standalone", "checkpoint", dict(table_store_mode=0)),
    "i_standalone_eager_checkpoint_mode1": ("standalone", "eager_checkpoint", {}),
    "j_standalone_expire": ("standalone", "expire", {}),
    "k_standalone_explicit_hash_tags": _insert("standalone", "int64", "float32", 2, **_TAGS),
    "c_cluster_explicit_hash_tags": _insert("cluster", "int64", "float32", 2, **_TAGS),
    "c_cluster_s4_string": _insert("cluster", "string", "float32", 2, "SHORT_STRING_KEYS",
                                   storage_slice=4),
    "c_cluster_s4_md5": _insert("cluster", "int64", "float32", 4, storage_slice=4,
                                using_md5_prefix_name=True),
    "m_cluster_rebucket_s2_to_s4": ("cluster", "rebucket", dict(slices_before=2, slices_after=4)),
    "m_standalone_rebucket_s1_to_s2": ("standalone", "rebucket",
                                       dict(slices_before=1, slices_after=2)),
}


def _cases():
  """All cases, sorted by name: the fixed ones plus the generated dtype/slice matrices."""
  cases = dict(_FIXED_CASES)
  for slices in (2, 3, 4):
    cases[f"b_standalone_slice{slices}"] = _insert("standalone", "int64", "float32", 4,
                                                   storage_slice=slices)
  for value_dtype, dim in (("int8", 3), ("half", 2), ("bfloat16", 2), ("int64", 2)):
    cases[f"l_standalone_int64_{value_dtype}"] = _insert("standalone", "int64", value_dtype, dim)
  for value_dtype in ("bool", "int64"):
    cases[f"l_standalone_string_{value_dtype}"] = _insert("standalone", "string", value_dtype, 2,
                                                          "STRING_KEYS")
  for using_hash in (False, True):
    suffix = "crc" if using_hash else "mod"
    for slices in (1, 2, 3, 4, 8):
      cases[f"c_cluster_s{slices}_{suffix}"] = _insert(
          "cluster", "int64", "float32", 4, storage_slice=slices,
          using_hash_storage_slice=using_hash)
    cases[f"c_cluster_s4_int32_{suffix}"] = _insert(
        "cluster", "int32", "float32", 2, "INT32_KEYS", storage_slice=4,
        using_hash_storage_slice=using_hash)
  return dict(sorted(cases.items()))


def run_child(env_path):
  """Child entry: runs one case with TensorFlow, writes the result JSON."""
  with open(env_path) as f:
    env = json.load(f)
  # pylint: disable=import-outside-toplevel
  from tools.compat.golden import redis_cases
  ctx = redis_cases.CaseContext(env)
  kind, kwargs = env["kind"], dict(env["kwargs"])
  if kind == "insert":
    kwargs["keys"] = getattr(redis_cases, kwargs["keys"])
    result = redis_cases.insert_case(ctx, **kwargs)
  elif kind == "train":
    result = redis_cases.train_case(ctx)
  elif kind == "rebucket":
    result = redis_cases.rebucket_case(ctx, **kwargs)
  else:
    from tools.compat.golden import redis_graph_cases
    result = getattr(redis_graph_cases, kind + "_case")(ctx, **kwargs)
  with open(env["result_path"], "w") as f:
    json.dump(result, f)


def summarize_monitor(records_per_node):
  """Command counts and distinct commands (data arguments elided), dump clients excluded."""
  counts, distinct = {}, {}
  for node, records in enumerate(records_per_node):
    ignored = {client for client, args in records
               if args == [b"ECHO", redis_keys.DUMP_MARKER]}
    for client, args in records:
      if client in ignored or not args:
        continue
      name = args[0].upper()
      counts[name.decode()] = counts.get(name.decode(), 0) + 1
      shown = args[:2] if name in DATA_COMMANDS else args
      text = " ".join(redis_keys.readable(a)[:80] for a in shown)
      if name in DATA_COMMANDS:
        text += f" (+{len(args) - 2} args)"
      key = (node, text)
      distinct[key] = distinct.get(key, 0) + 1
  rows = [{"node": n, "command": t, "count": c} for (n, t), c in distinct.items()]
  return {"counts": dict(sorted(counts.items())), "distinct": rows[:MAX_DISTINCT],
          "distinct_total": len(rows)}


def upstream_log(stderr, limit=60):
  """Distinct TFRA C++ log lines (timestamps and thread ids dropped), in first-seen order."""
  seen = []
  for line in stderr.splitlines():
    match = _LOG_LINE.search(line)
    if not match:
      continue
    level, where, text = match.groups()
    entry = f"{level} {where}: {text.strip()}"[:300]
    if entry not in seen:
      seen.append(entry)
  return seen[:limit]


def run_case(name, spec, servers, workroot, out_dir, cluster_info):
  """Runs one case against `servers[deployment]` (a `Servers`); its record."""
  deployment, kind, kwargs = spec
  ports = servers[deployment].ports
  workdir = os.path.join(workroot, name)
  os.makedirs(workdir)
  env = {"case": name, "deployment": deployment, "ports": ports,
         "connection": servers[deployment].connection, "workdir": workdir,
         "kind": kind, "kwargs": kwargs, "result_path": os.path.join(workdir, "result.json")}
  env_path = os.path.join(workdir, "env.json")
  with open(env_path, "w") as f:
    json.dump(env, f)
  redis_keys.flush_all(ports)
  monitors = [MonitorRecorder(p) for p in ports]
  try:
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", env_path],
                          capture_output=True, encoding="utf-8", errors="replace",
                          timeout=CHILD_TIMEOUT_S, check=False)
  finally:
    records = [m.stop() for m in monitors]
  record = {"case": name, "deployment": deployment, "kind": kind,
            "ttl_after_process_exit": redis_keys.ttls(ports)}
  if deployment == "cluster":
    record["cluster_masters"] = cluster_info
  record["upstream_log"] = upstream_log(proc.stderr)
  record["monitor"] = summarize_monitor(records)
  if proc.returncode != 0 or not os.path.exists(env["result_path"]):
    record.update(status="crashed", returncode=proc.returncode,
                  stderr_tail=proc.stderr[-4000:].splitlines())
  else:
    with open(env["result_path"]) as f:
      record.update(status="ok", **json.load(f))
    record["checks"] = layout_checks.check_case(record)
  text = json.dumps(record, indent=1)
  text = text.replace(workdir, "$WORKDIR").replace(workroot, "$WORKROOT")
  with open(os.path.join(out_dir, name + ".json"), "w") as f:
    f.write(text + "\n")
  return record


class Servers:
  """A started deployment's master ports (in slot order for a cluster: dumps number nodes
  so) and the table config keys that reach it."""

  def __init__(self, deployment):
    ports = deployment.node_ports("master")
    if deployment.mode == "cluster":
      ports = [port for port, _, _ in redis_keys.master_slot_ranges(ports[0])]
    self.ports = ports
    self.connection = deployment.table_config()


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--out", default=str(DEFAULT_OUT))
  parser.add_argument("--cases", default="", help="comma-separated case names (default: all)")
  parser.add_argument("--child", help=argparse.SUPPRESS)
  args = parser.parse_args()
  if args.child:
    run_child(args.child)
    return 0
  signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still stop the servers
  cases = _cases()
  wanted = [c for c in args.cases.split(",") if c] or list(cases)
  os.makedirs(args.out, exist_ok=True)
  workroot = tempfile.mkdtemp(prefix="tfra081-golden-")
  summary = {}
  try:
    with redis_servers.standalone() as standalone, redis_servers.cluster(
        masters=3, replicas_per_master=0) as cluster:
      servers = {"standalone": Servers(standalone), "cluster": Servers(cluster)}
      cluster_info = redis_keys.master_slot_ranges(servers["cluster"].ports[0])
      for name in wanted:
        try:
          record = run_case(name, cases[name], servers, workroot, args.out, cluster_info)
          summary[name] = {"status": record["status"], "checks": record.get("checks")}
        except Exception:  # pylint: disable=broad-except
          summary[name] = {"status": "driver-error", "error": traceback.format_exc()}
        print(name, json.dumps(summary[name])[:300], flush=True)
  finally:
    shutil.rmtree(workroot, ignore_errors=True)
  summary_path = os.path.join(args.out, "index.json")
  old = {}
  if os.path.exists(summary_path) and args.cases:
    with open(summary_path) as f:
      old = json.load(f).get("cases", {})
  old.update(summary)
  with open(summary_path, "w") as f:
    json.dump({"layout_facts": layout_checks.layout_facts(), "cases": dict(sorted(old.items()))},
              f, indent=1)
    f.write("\n")
  return 0


if __name__ == "__main__":
  sys.exit(main())

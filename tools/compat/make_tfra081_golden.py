"""Writes golden Redis data produced by upstream TFRA 0.8.1, one JSON file per case.

Run under the upstream virtualenv (see tools/compat/README.md):

    TF_USE_LEGACY_KERAS=1 /root/tfra081-venv/bin/python tools/compat/make_tfra081_golden.py \\
        [--out DIR] [--cases a_standalone_default,c_cluster_s4_crc]

The parent process (no TensorFlow) starts a private standalone server and a 3-master cluster
on free loopback ports, and for every case: FLUSHALL, start MONITOR, run the case in a child
process (TensorFlow + upstream), stop MONITOR, check the layout against tfra_layout.py and
write <out>/<case>.json. Servers are stopped on exit, also on errors. A crashing case is
recorded (status "crashed") and the run continues.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import traceback

from private_redis import (DUMP_MARKER, PrivateRedis, flush_all, master_slot_ranges, readable,
                           ttls)
from resp_client import MonitorRecorder
import golden_checks

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(os.path.dirname(HERE), os.pardir, "tensorflow_recommenders_addons",
                           "dynamic_embedding", "python", "kernel_tests", "testdata", "tfra081")
CHILD_TIMEOUT_S = 600
DATA_COMMANDS = {b"HMSET", b"HSET", b"HMGET", b"HDEL", b"RESTORE", b"HMACCUM"}
MAX_DISTINCT = 120
_LOG_LINE = re.compile(
    r": ([IWEF]) tensorflow_recommenders_addons/dynamic_embedding/\S*?([\w.]+:\d+)\] (.*)")


def _insert(deployment, key_dtype, value_dtype, dim, keys="INT64_KEYS", **more):
  """An "insert" case; `keys` names a key list of tfra081_cases, `more` = api/config keys."""
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
  import tfra081_cases  # pylint: disable=import-outside-toplevel
  ctx = tfra081_cases.CaseContext(env)
  kind, kwargs = env["kind"], dict(env["kwargs"])
  if kind == "insert":
    kwargs["keys"] = getattr(tfra081_cases, kwargs["keys"])
    result = tfra081_cases.insert_case(ctx, **kwargs)
  elif kind == "train":
    result = tfra081_cases.train_case(ctx)
  elif kind == "rebucket":
    result = tfra081_cases.rebucket_case(ctx, **kwargs)
  else:
    import tfra081_graph_cases  # pylint: disable=import-outside-toplevel
    result = getattr(tfra081_graph_cases, kind + "_case")(ctx, **kwargs)
  with open(env["result_path"], "w") as f:
    json.dump(result, f)


def summarize_monitor(records_per_node):
  """Command counts and distinct commands (data arguments elided), dump clients excluded."""
  counts, distinct = {}, {}
  for node, records in enumerate(records_per_node):
    ignored = {client for client, args in records if args == [b"ECHO", DUMP_MARKER]}
    for client, args in records:
      if client in ignored or not args:
        continue
      name = args[0].upper()
      counts[name.decode()] = counts.get(name.decode(), 0) + 1
      shown = args[:2] if name in DATA_COMMANDS else args
      text = " ".join(readable(a)[:80] for a in shown)
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


def run_case(name, spec, ports, workroot, out_dir, cluster_info):
  deployment, kind, kwargs = spec
  workdir = os.path.join(workroot, name)
  os.makedirs(workdir)
  env = {"case": name, "deployment": deployment, "ports": ports[deployment], "workdir": workdir,
         "kind": kind, "kwargs": kwargs, "result_path": os.path.join(workdir, "result.json")}
  env_path = os.path.join(workdir, "env.json")
  with open(env_path, "w") as f:
    json.dump(env, f)
  flush_all(ports[deployment])
  monitors = [MonitorRecorder(p) for p in ports[deployment]]
  try:
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", env_path],
                          capture_output=True, encoding="utf-8", errors="replace",
                          timeout=CHILD_TIMEOUT_S, check=False)
  finally:
    records = [m.stop() for m in monitors]
  record = {"case": name, "deployment": deployment, "kind": kind,
            "ttl_after_process_exit": ttls(ports[deployment])}
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
    record["checks"] = golden_checks.check_case(record)
  text = json.dumps(record, indent=1)
  text = text.replace(workdir, "$WORKDIR").replace(workroot, "$WORKROOT")
  with open(os.path.join(out_dir, name + ".json"), "w") as f:
    f.write(text + "\n")
  return record


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--out", default=os.path.normpath(DEFAULT_OUT))
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
    with PrivateRedis() as redis:
      ports = {"standalone": [redis.start_standalone()], "cluster": redis.start_cluster(3)}
      cluster_info = master_slot_ranges(ports["cluster"][0])
      for name in wanted:
        try:
          record = run_case(name, cases[name], ports, workroot, args.out, cluster_info)
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
    json.dump({"layout_facts": golden_checks.layout_facts(), "cases": dict(sorted(old.items()))},
              f, indent=1)
    f.write("\n")
  return 0


if __name__ == "__main__":
  sys.exit(main())

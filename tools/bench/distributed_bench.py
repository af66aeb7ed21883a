"""Synchronous multi-worker training: examples/s and the Redis traffic behind it.

Trains the demo's model (demo/dynamic_embedding/redis_recommender/
multi_worker.py: user and item embeddings of dim 16 with Adam slots, all in
Redis) for one epoch under MultiWorkerMirroredStrategy, with 1 and with 2
worker processes on this host, against a private standalone Redis and a
3-master Cluster (no replicas; `storage_slice` 3, one bucket per master).
Per run it prints:
- examples/s of worker 0 (the first, tracing step is not timed);
- keys/s: the table keys the step moves, counted from the data (see
  `keys_per_step`), over the timed seconds; in total and per master (the
  buckets, hence the keys, are spread evenly over the masters);
- each master's CPU share during the run (`INFO cpu`, user + sys, over the
  timed seconds; it includes the untimed first step, so it errs high). A
  master's capacity under this traffic is about keys/s per master divided by
  its CPU share.
First it prints, from the data alone, the keys per example each rule for
synchronous updates moves at 1 to 8 workers: "merge" (ours: all-gather, one
update per distinct id by its owner) and "deltas" (each worker updates the
rows it saw and adds its deltas with `accum`; exact for SGD only).
docs/distributed_training.md turns these into a model for larger clusters.

    bazel run //tools/bench:distributed_bench -- [--quick] [--examples N]
        [--batch_size B] [--modes standalone,cluster] [--workers 1,2]
"""

import argparse
import json
import os
import sys
import tempfile

try:
  from tools.testing import redis_servers
except ImportError:  # Run as a plain script: the repository root holds tools/.
  sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(
      os.path.abspath(__file__)))))
  from tools.testing import redis_servers  # pylint: disable=g-import-not-at-top

import numpy as np  # pylint: disable=g-import-not-at-top,wrong-import-order

from tools.testing import tf_cluster  # pylint: disable=g-import-not-at-top

_DEMO = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "demo", "dynamic_embedding",
                     "redis_recommender")
_SLOTS = 2  # Adam's.
_FULL = dict(examples=200_000, batch_size=1024)
_QUICK = dict(examples=8192, batch_size=1024)


def keys_per_step(ids, workers, rule="merge"):
  """Table keys one synchronous step of one embedding moves in Redis.

  Each worker looks up the unique ids U_w of its share (`HMGET`). "merge"
  (replica_rows.py): the owner of each distinct id U of the step reads its
  slot rows and writes its row and slot rows: `sum |U_w| + (2s + 1) |U|`.
  "deltas": every worker reads the slot rows of U_w and adds deltas to its
  rows and slot rows: `(2 + 2s) sum |U_w|`.
  """
  share = len(ids) // workers
  seen = sum(len(np.unique(ids[w * share:(w + 1) * share]))
             for w in range(workers))
  if rule == "deltas":
    return (2 + 2 * _SLOTS) * seen
  return seen + (2 * _SLOTS + 1) * len(np.unique(ids))


def _print_rules(features, examples, batch_size):
  """Keys per example of both rules (no Redis needed)."""
  print("keys per example, Adam, global batch %d:" % batch_size)
  print("%7s %8s %8s" % ("workers", "merge", "deltas"))
  rows = []
  for workers in (1, 2, 4, 8):
    counts = {rule: _timed_keys(features, examples, batch_size, workers, rule)
              for rule in ("merge", "deltas")}
    examples_counted = (examples // batch_size - 1) * batch_size
    per_example = {k: v / examples_counted for k, v in counts.items()}
    print("%7d %8.2f %8.2f" % (workers, per_example["merge"],
                               per_example["deltas"]))
    rows.append(dict(workers=workers, **per_example))
  print()
  return rows


def _timed_keys(features, examples, batch_size, workers, rule="merge"):
  """Keys of every timed step (all but the first) of both embeddings."""
  total = 0
  for first in range(batch_size, examples - batch_size + 1, batch_size):
    for ids in features.values():
      total += keys_per_step(ids[first:first + batch_size], workers, rule)
  return total


def _cpu_seconds(deployment):
  """{master port: used_cpu_user + used_cpu_sys}."""
  seconds = {}
  for port in deployment.node_ports("master"):
    info = deployment.redis_cli(port, "INFO", "cpu")
    fields = dict(line.split(":", 1) for line in info.splitlines()
                  if ":" in line)
    seconds[port] = (float(fields["used_cpu_user"]) +
                     float(fields["used_cpu_sys"]))
  return seconds


def _train(deployment, workdir, args, workers):
  tag = "bench_%dw" % workers
  config = deployment.write_table_config(
      os.path.join(workdir, tag + ".json"), model_tag_runtime=tag,
      model_tag_import=tag, table_store_mode=2,
      storage_slice=len(deployment.node_ports("master")))
  out = os.path.join(workdir, tag + ".out.json")
  argv = [sys.executable, os.path.join(_DEMO, "multi_worker.py"), "--config",
          config, "--examples", str(args.examples), "--batch_size",
          str(args.batch_size), "--out", out, "--no_eval"]
  env = {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
         "TF_CPP_MIN_LOG_LEVEL": "2"}
  before = _cpu_seconds(deployment)
  with tf_cluster.Cluster({"worker": workers}, workdir, env=env) as cluster:
    for index in range(workers):
      cluster.start("worker", index, argv)
    cluster.wait_all("worker", timeout=3600)
  after = _cpu_seconds(deployment)
  with open(out) as f:
    summary = json.load(f)
  summary["cpu_share"] = {port: (after[port] - before[port]) /
                          summary["timed_seconds"] for port in after}
  return summary


def _report(mode, workers, summary, keys):
  masters = len(summary["cpu_share"])
  keys_per_s = keys / summary["timed_seconds"]
  shares = " ".join("%.2f" % s for s in summary["cpu_share"].values())
  print("%-10s %7d %12d %12.0f %14.0f   %s" % (
      mode, workers, summary["examples_per_second"], keys_per_s,
      keys_per_s / masters, shares))
  return {"mode": mode, "workers": workers,
          "examples_per_second": summary["examples_per_second"],
          "keys_per_second": keys_per_s,
          "keys_per_second_per_master": keys_per_s / masters,
          "master_cpu_share": list(summary["cpu_share"].values())}


def main(argv):
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--quick", action="store_true")
  parser.add_argument("--examples", type=int)
  parser.add_argument("--batch_size", type=int)
  parser.add_argument("--modes", default="standalone,cluster")
  parser.add_argument("--workers", default="1,2")
  parser.add_argument("--json", help="also write the rows here")
  args = parser.parse_args(argv)
  for key, value in (_QUICK if args.quick else _FULL).items():
    if getattr(args, key) is None:
      setattr(args, key, value)
  sys.path.insert(0, _DEMO)
  import data  # pylint: disable=g-import-not-at-top
  features, _ = data.click_log(args.examples + max(args.examples // 10,
                                                   5_000))
  rules = _print_rules(features, args.examples, args.batch_size)
  print("%-10s %7s %12s %12s %14s   %s" % (
      "mode", "workers", "examples/s", "keys/s", "keys/s/master",
      "master CPU share"))
  launch = {"standalone": redis_servers.standalone,
            "cluster": lambda: redis_servers.cluster(replicas_per_master=0)}
  rows = []
  for mode in args.modes.split(","):
    with launch[mode]() as deployment, tempfile.TemporaryDirectory() as tmp:
      for workers in [int(w) for w in args.workers.split(",")]:
        summary = _train(deployment, tmp, args, workers)
        keys = _timed_keys(features, args.examples, args.batch_size, workers)
        rows.append(_report(mode, workers, summary, keys))
  if args.json:
    with open(args.json, "w") as f:
      json.dump({"keys_per_example": rules, "runs": rows}, f, indent=1)
  return 0


if __name__ == "__main__":
  sys.exit(main(sys.argv[1:]))

"""The soak: a long mixed load on one RedisTable with Redis restarts.

Threads run lookups, inserts and accums (workload.py) against a standalone
Redis with an append-only file synced on every write, which is killed
(SIGKILL) and restarted every --restart-every-s seconds. The run prints the
throughput of each --report-every-s interval and the process RSS, and ends
with one JSON summary: RSS after warm-up and at the end, every restart with
the ops that failed around it and the time the load took to recover, the ops
that failed outside any restart (should be none), and what the table holds
against what Redis acknowledged (rows lost, updates applied twice).

  bazel run //tools/reliability:soak -- --minutes 30

Exit status 0 when nothing was lost, applied twice or read wrong, no op
failed outside a restart, the load recovered after each restart and no op
hung; 1 otherwise. soak_test.py runs a one-minute cut in CI.
"""

import argparse
import json
import os
import sys
import tempfile
import time

# Every failed op logs a warning from its kernel.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# pylint: disable=wrong-import-position
from tools.reliability import workload
from tools.testing import redis_servers
# pylint: enable=wrong-import-position

# A restart's window: from the kill until the load recovered, plus this
# margin for ops that were already under way.
_MARGIN_S = 1.0
_RECOVERY_DEADLINE_S = 60.0
_POLL_S = 0.05


def _rss_mb():
  """Resident set size of this process in MiB (Linux /proc)."""
  with open("/proc/self/status", encoding="ascii") as f:
    for line in f:
      if line.startswith("VmRSS:"):
        return round(int(line.split()[1]) / 1024, 1)
  return None


def _recovered(workers, since):
  """Whether every worker ran each kind of op successfully after `since`
  and after its own last failure."""
  for worker in workers:
    tally = worker.log
    failures = list(tally.failures)
    floor = max([since] + [e.end for e in failures])
    if any(tally.last_ok.get(op, 0) <= floor for op in workload.OPS):
      return False
  return True


def _restart(deployment, down_s, workers):
  """Kills the node, restarts it after `down_s`, waits for the load to
  recover; returns (kill time, recovery seconds or None)."""
  port = deployment.master_port()
  killed_at = time.monotonic()
  deployment.kill_node(port)
  time.sleep(down_s)
  deployment.restart_node(port)
  back_at = time.monotonic()
  deadline = back_at + _RECOVERY_DEADLINE_S
  while time.monotonic() < deadline:
    if _recovered(workers, back_at):
      return killed_at, round(time.monotonic() - killed_at, 2)
    time.sleep(_POLL_S)
  return killed_at, None


def _failures_in(workers, start, end):
  return [e for w in workers for e in w.log.failures
          if e.start < end and e.end >= start]


def _ok_between(workers, start, end):
  return sum(n for w in workers for s, n in dict(w.log.ok_per_s).items()
             if start <= s < end)


def run(args, out=sys.stdout):
  """Runs the soak as `args` say; returns the summary dict."""

  def say(text):
    print(text, file=out, flush=True)

  with redis_servers.standalone(persistence="aof") as deployment, \
      tempfile.TemporaryDirectory(prefix="soak-") as folder:
    table = workload.make_table(deployment, os.path.join(folder, "soak.json"))
    workers, stop = workload.start_workers(
        table, args.threads, keys=args.keys, batch=args.batch, tally=True)
    began = time.monotonic()
    end = began + args.minutes * 60
    restarts, series = [], []
    rss_start = None
    next_report = began + args.report_every_s
    next_restart = began + args.restart_every_s
    try:
      while time.monotonic() < end:
        now = time.monotonic()
        if now >= next_restart and now + _RECOVERY_DEADLINE_S / 4 < end:
          killed_at, recovered_s = _restart(deployment, args.down_s, workers)
          restarts.append(dict(at_s=round(killed_at - began, 1),
                               recovered_s=recovered_s,
                               window=(killed_at, time.monotonic())))
          say(f"restart at {killed_at - began:.0f} s: recovered in "
              f"{recovered_s} s")
          next_restart = time.monotonic() + args.restart_every_s
        if time.monotonic() >= next_report:
          t0 = next_report - args.report_every_s
          rate = _ok_between(workers, int(t0), int(next_report)) / (
              int(next_report) - int(t0) or 1)
          failed = len(_failures_in(workers, t0, next_report))
          rss = _rss_mb()
          rss_start = rss if rss_start is None else rss_start
          series.append(dict(t_s=round(next_report - began), ok_per_s=rate,
                             failed=failed, rss_mb=rss))
          say(f"t={next_report - began:5.0f} s  {rate:8.1f} ops/s  "
              f"failed {failed:4d}  rss {rss} MiB")
          next_report += args.report_every_s
        time.sleep(min(0.2, max(0.0, min(next_report, next_restart, end) -
                                     time.monotonic())))
    finally:
      workload.stop_workers(workers, stop)
    checked = workload.verify(table, workers)
  return _summary(args, workers, restarts, series, rss_start, checked)


def _summary(args, workers, restarts, series, rss_start, checked):
  failures = [e for w in workers for e in w.log.failures]
  in_restart = set()
  for restart in restarts:
    start, end = restart.pop("window")
    hits = [e for e in failures
            if e.end >= start and e.start <= end + _MARGIN_S]
    restart["failed_ops"] = len(hits)
    in_restart.update(id(e) for e in hits)
  outside = [e for e in failures if id(e) not in in_restart]
  summary = dict(
      minutes=args.minutes, threads=args.threads,
      ops_ok=sum(sum(w.log.ok_per_s.values()) for w in workers),
      ops_failed=len(failures), rss_start_mb=rss_start,
      rss_end_mb=_rss_mb(),
      max_op_s=round(max(w.log.max_op_s for w in workers), 3),
      restarts=restarts, failed_outside_restarts=len(outside),
      outside_examples=[e.detail for e in outside[:3]],
      throughput=series, **checked)
  summary["ok"] = bool(
      summary["rows_lost"] == 0 and summary["applied_twice"] == 0 and
      summary["bad_reads"] == 0 and not outside and
      all(r["recovered_s"] is not None for r in restarts) and
      summary["max_op_s"] < args.max_op_s)
  return summary


def parse_args(argv):
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--minutes", type=float, default=30.0)
  parser.add_argument("--threads", type=int, default=8)
  parser.add_argument("--restart-every-s", type=float, default=180.0,
                      help="seconds between Redis restarts")
  parser.add_argument("--down-s", type=float, default=1.0,
                      help="seconds Redis stays down at each restart")
  parser.add_argument("--report-every-s", type=float, default=30.0)
  parser.add_argument("--keys", type=int, default=2048,
                      help="keys per range of each thread (two ranges)")
  parser.add_argument("--batch", type=int, default=64, help="keys per op")
  parser.add_argument("--max-op-s", type=float, default=4.0,
                      help="the longest an op may take (timeouts 0.5 s)")
  parser.add_argument("--json", help="also write the summary to this file")
  return parser.parse_args(argv)


def main(argv=None):
  args = parse_args(argv)
  summary = run(args)
  text = json.dumps(summary)
  print(text)
  if args.json:
    with open(args.json, "w", encoding="utf-8") as f:
      f.write(text + "\n")
  return 0 if summary["ok"] else 1


if __name__ == "__main__":
  sys.exit(main())

"""The one-minute CI cut of the soak (soak.py): 8 threads, a Redis kill -9
and restart every 20 s; nothing may be lost, applied twice or fail outside a
restart, and the load must recover after each restart."""

import io
import json
import sys

import pytest

from tools.reliability import soak


def test_one_minute_soak_with_restarts():
  args = soak.parse_args(["--minutes", "1", "--restart-every-s", "20",
                          "--report-every-s", "10", "--keys", "512",
                          "--batch", "32"])
  log = io.StringIO()
  summary = soak.run(args, out=log)
  print(log.getvalue())
  print(json.dumps(summary))
  assert summary["ok"], summary
  assert len(summary["restarts"]) >= 2, summary
  assert all(r["failed_ops"] > 0 for r in summary["restarts"]), (
      "each restart fails the ops that meet it", summary)
  assert summary["ops_ok"] > 0 and summary["throughput"], summary
  assert summary["rss_start_mb"] and summary["rss_end_mb"], summary


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v", "-s"]))

"""Smoke test: `distributed_bench.py --quick` on a Cluster with 2 workers runs
end to end and prints its tables with positive numbers. Not timed: no
thresholds on speed, so the benchmark cannot rot without this test failing."""

import json
import os
import subprocess
import sys

import pytest

_HERE = os.path.dirname(os.path.abspath(__file__))


def test_quick_run_reports_rules_and_a_two_worker_cluster_run(tmp_path):
  out = tmp_path / "rows.json"
  done = subprocess.run(
      [sys.executable, os.path.join(_HERE, "distributed_bench.py"), "--quick",
       "--modes", "cluster", "--workers", "2", "--json", str(out)],
      capture_output=True, text=True, timeout=600, check=False,
      env=dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path
                                                      if p)))
  assert done.returncode == 0, done.stdout + done.stderr[-4000:]
  report = json.loads(out.read_text())
  rules = {row["workers"]: row for row in report["keys_per_example"]}
  assert sorted(rules) == [1, 2, 4, 8]
  assert rules[1]["merge"] == rules[1]["deltas"] > 0
  for workers in (2, 4, 8):  # Hot ids repeat across workers.
    assert rules[workers]["merge"] < rules[workers]["deltas"]
  (run,) = report["runs"]
  assert run["mode"] == "cluster" and run["workers"] == 2
  assert run["examples_per_second"] > 0 and run["keys_per_second"] > 0
  assert len(run["master_cpu_share"]) == 3
  assert "keys/s/master" in done.stdout


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

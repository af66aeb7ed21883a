"""Smoke test: `restrict_bench.py --quick` runs end to end in both modes and
prints positive times. Not timed: no thresholds on speed."""

import os
import subprocess
import sys

import pytest

_HERE = os.path.dirname(os.path.abspath(__file__))


def test_quick_run_prints_a_row_per_mode():
  done = subprocess.run(
      [sys.executable, os.path.join(_HERE, "restrict_bench.py"), "--quick"],
      capture_output=True, text=True, timeout=600, check=False)
  assert done.returncode == 0, done.stdout + done.stderr[-4000:]
  rows = [line.split() for line in done.stdout.splitlines()
          if line.split()[:1] in (["standalone"], ["cluster"])]
  assert [row[0] for row in rows] == ["standalone", "cluster"], done.stdout
  for row in rows:
    assert all(float(cell) >= 0 for cell in row[1:]), row
    assert float(row[1]) > 0, row


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

"""Smoke test: `redis_table_bench.py --quick` runs end to end and prints its
table with positive numbers for every mode and op (the public path and the
servers loading the HMACCUM module included). Not timed: no thresholds on
speed, so the benchmark cannot rot without this test failing."""

import os
import subprocess
import sys

import pytest

_HERE = os.path.dirname(os.path.abspath(__file__))
_MODES = ("standalone", "cluster")
_MODULE_MODES = tuple(m + "+m" for m in _MODES)
_OPS = ("lookup", "insert", "accum", "vlookup", "vupsert", "train")
_BATCHES = ("1024", "4096")


@pytest.fixture(scope="module")
def quick_output():
  # The script finds raw_hash_bench in the test's runfiles (data).
  done = subprocess.run(
      [sys.executable, os.path.join(_HERE, "redis_table_bench.py"), "--quick"],
      capture_output=True, text=True, timeout=600, check=False)
  assert done.returncode == 0, done.stdout + done.stderr[-4000:]
  return done.stdout


def _table_rows(output):
  rows = []
  for line in output.splitlines():
    cells = line.split()
    if len(cells) == 16 and cells[0] in _MODES + _MODULE_MODES:
      rows.append(cells)
  return rows


def test_quick_run_prints_a_row_per_mode_op_and_batch(quick_output):
  rows = _table_rows(quick_output)
  seen = {(cells[0], cells[1], cells[3]) for cells in rows}
  want = {(m, o, b) for m in _MODES for o in _OPS for b in _BATCHES}
  want |= {(m, "vlook4", "1024") for m in _MODES}  # 1k-key batches only
  want |= {(m, "accum", b) for m in _MODULE_MODES for b in _BATCHES}
  assert seen == want, quick_output


def test_quick_run_measures_positive_throughput_and_latency(quick_output):
  rows = _table_rows(quick_output)
  assert rows, quick_output
  for cells in rows:
    numbers = [float(c) for c in cells[4:8] + cells[9:] if c != "-"]
    assert all(n > 0 for n in numbers), cells
    assert cells[8] in ("serial", "pipelined", "two_clients"), cells


def test_quick_run_reports_linearity_and_targets(quick_output):
  assert "linearity" in quick_output
  assert "call overhead" in quick_output
  for mode in _MODES:
    assert mode + ": PING round trip" in quick_output, quick_output
  assert "targets:" in quick_output


def test_quick_run_sets_accum_and_train_against_reading_and_writing(
    quick_output):
  # The figure lines ("raw read+write N keys/s, table M -> ratio"), not the
  # target lines that name the same limit.
  lines = [l for l in quick_output.splitlines()
           if "raw read+write" in l and "keys/s" in l and
           l.split()[0] in _MODES]
  # accum and train, per mode and batch; not the module modes (set against
  # HSET).
  assert len(lines) == len(_MODES) * 2 * len(_BATCHES), quick_output
  for line in lines:
    assert float(line.split("-> ")[1]) > 0, line


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

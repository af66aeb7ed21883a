"""Runs hmaccum_bench in --quick mode so it cannot rot; no speed thresholds."""

import sys

import pytest

from tools.bench import hmaccum_bench


def test_quick_run_times_hset_and_hmaccum_on_every_batch(capsys):
  rows = hmaccum_bench.main(["--quick"])
  assert [(r["dim"], r["batch"]) for r in rows] == [(8, 256), (8, 1024)]
  for row in rows:
    assert row["hset"]["op"] == "hset" and row["hmaccum"]["op"] == "hmaccum"
    assert row["hset"]["keys_per_s"] > 0 and row["hmaccum"]["keys_per_s"] > 0
  out = capsys.readouterr().out
  assert hmaccum_bench.HEADER in out
  assert all(hmaccum_bench.format_row(r) in out for r in rows)


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

"""The demo, run in its short mode, does what it promises (CI runs this)."""

import json
import os
import re
import subprocess
import sys

import pytest

_DEMO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "demo.py")


def test_short_demo_trains_serves_and_reports_two_workers(tmp_path):
  out = tmp_path / "out"
  env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
  run = subprocess.run([sys.executable, _DEMO, "--short", "--workers", "2",
                        "--output_dir", str(out)], env=env,
                       capture_output=True, text=True, timeout=900)
  assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
  summary = json.loads((out / "summary.json").read_text())
  assert summary["held_out_auc"] > 0.6
  assert summary["serving_max_abs_difference"] < 1e-5
  assert summary["keys_in_redis"]["user_emb"] > 1000
  runs = summary["multi_worker_mirrored_strategy"]
  assert sorted(runs) == ["1_worker", "2_workers"]
  for run_summary in runs.values():
    assert run_summary["held_out_auc"] > 0.6
    assert run_summary["examples_per_second"] > 0
  assert "examples/s, one epoch under MultiWorkerMirroredStrategy" in run.stdout
  png = (out / "training_curve.png").read_bytes()
  assert png.startswith(b"\x89PNG") and len(png) > 10_000
  assert os.path.isdir(out / "saved_model")
  assert "Stopped the private redis-server" in run.stdout
  # The operator's view of the demo's tables (tfra-redis tables) at the end.
  assert "tfra-redis --config train.json tables --tag demo" in run.stdout
  assert re.search(r"\ndemo\s+user_emb\S*\s+int64\s+float32\s+16\s",
                   run.stdout)
  # Quiet and honest: no C++ start-up notices, no checkpoint warnings.
  output = run.stdout + run.stderr
  for noise in ("oneDNN custom operations", "cpu_feature_guard",
                "absl::InitializeLog", "could not be found in the restored"):
    assert noise not in output, output[-3000:]


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

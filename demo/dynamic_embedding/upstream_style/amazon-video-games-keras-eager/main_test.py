"""The demo's CI mode (main.py --ci) against a private Redis: the loss falls,
restrict keeps the variable bounded, and the saved model, loaded back in
either format, predicts exactly what the trained model predicts."""

import json
import os
import subprocess
import sys

import pytest

_MAIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "main.py")


def test_ci_run_trains_restricts_saves_loads_and_predicts_alike(tmp_path):
  env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
  run = subprocess.run([sys.executable, _MAIN, "--ci", "--export_dir",
                        str(tmp_path)], env=env, capture_output=True,
                       text=True, timeout=1200, check=False)
  assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
  summary = json.loads((tmp_path / "summary.json").read_text())
  assert summary["last_losses"] < 0.75 * summary["first_losses"], summary
  # --ci restricts to 80% of 3000 ids whenever the variable exceeds 3000.
  assert 2000 < summary["max_size_after_restrict"] <= 3000, summary
  assert summary["final_size"] == summary["status_size"], summary
  for save_format in ("keras", "tf"):
    assert summary[save_format + "_max_abs_difference"] < 1e-5, summary
    assert summary[save_format + "_accuracy"] > 0.75, summary
  assert (tmp_path / "keras" / "model.keras").exists()
  assert (tmp_path / "tf" / "saved_model.pb").exists()


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

"""An interrupted `tfra-redis copy-tag` never leaves a copy that looks
complete, and running it again finishes a copy equal to its source.

The console script runs in a child process that is stopped halfway, by
Ctrl-C (SIGINT: it stops at its next safe point) or by SIGKILL (a crash), in
Standalone and Cluster.
"""

import json
import os
import signal
import sys
import time

import numpy as np
import pytest

from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import redis_admin_util as admin

_ROWS = 200_000
_DIM = 4
_DEADLINE_S = 120


def _tag_of(config):
  with open(config) as f:
    return json.load(f)["model_tag_runtime"]


def _source_table(setup, folder):
  """A 4-bucket table of _ROWS rows, loaded from files; its config and tag.
  keys_sending_size 100 makes the copy take hundreds of round trips."""
  config = setup.write_config(storage_slice=4, keys_sending_size=100)
  keys = np.arange(_ROWS, dtype=np.int64) * 7919
  rows = np.random.default_rng(5).standard_normal((_ROWS, _DIM))
  admin.write_kv_files(folder, "emb", keys, rows)
  assert admin.run(config, "import", "emb", folder, "--key-dtype", "int64",
                   "--value-dtype", "float32", "--dim", _DIM).rc == 0
  return config, _tag_of(config)


def _interrupt_once_staging_has_rows(process, config, target, how):
  """Sends `how` to the copy as soon as its staging table holds rows."""
  deadline = time.monotonic() + _DEADLINE_S
  while time.monotonic() < deadline:
    staged = admin.tables(config, target)
    if any(t["state"] == "staging" and t["rows"] > 0 for t in staged.values()):
      process.send_signal(how)
      return
    assert process.poll() is None, "the copy ended before it was interrupted"
    time.sleep(0.005)
  raise AssertionError("no staged rows within %d s" % _DEADLINE_S)


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL],
                         ids=["ctrl_c", "kill"])
def test_interrupted_copy_is_never_complete_and_a_rerun_finishes_it(
    training_setup, tmp_path, how):
  config, source = _source_table(training_setup, str(tmp_path))
  target = source + "_copy"
  process = admin.spawn(config, "copy-tag", source, target)
  _interrupt_once_staging_has_rows(process, config, target, how)
  _, err = process.communicate(timeout=_DEADLINE_S)
  if how == signal.SIGINT:
    assert process.returncode == 130, err
    assert "run the same command again" in err
  else:
    assert process.returncode == -signal.SIGKILL

  halfway = admin.tables(config, target)
  assert halfway and all(t["state"] == "staging" for t in halfway.values())
  assert admin.run_json(config, "inspect", "emb", "--tag", source)

  finished = admin.run_json(config, "copy-tag", source, target)
  assert finished["tables"] == 1
  done = admin.tables(config, target)
  assert {n: t["state"] for n, t in done.items()} == {"emb": "complete"}
  assert done["emb"]["rows"] == _ROWS
  assert not training_setup.keys(target + "~tfra-staging*")
  for tag in (source, target):
    folder = str(tmp_path / tag)
    os.makedirs(folder)
    assert admin.run(config, "export", "emb", folder, "--tag", tag).rc == 0
  assert admin.read_kv_files(str(tmp_path / target), "emb", _DIM) == \
      admin.read_kv_files(str(tmp_path / source), "emb", _DIM)


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

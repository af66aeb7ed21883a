"""`tfra-redis export` / `import` stream: a 1M-row table goes through a
process whose memory stays far below the table's size.

The console script runs in a child process; its peak resident set (the
kernel's ru_maxrss) is printed and bounded. The rows are 136 bytes (an int64
key and 32 float32), 136 MB for the table: a tool holding the table would
need more than that on top of the interpreter.
"""

import os
import sys

import numpy as np
import pytest

from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import redis_admin_util as admin

_ROWS = 1_000_000
_DIM = 32
# Peak RSS allowed for the tool: the interpreter and library (~25 MiB) plus a
# few buffers of --buffer-rows rows; the table itself is 130 MiB.
_MAX_RSS_MIB = 96


def _sorted(folder, name):
  keys = np.fromfile(os.path.join(folder, name + "-keys"), dtype="<i8")
  rows = np.fromfile(os.path.join(folder, name + "-values"),
                     dtype="<f4").reshape(len(keys), _DIM)
  order = np.argsort(keys)
  return keys[order], rows[order]


def test_a_million_rows_round_trip_through_files_in_bounded_memory(
    standalone_setup, tmp_path):
  config = standalone_setup.write_config(storage_slice=4)
  source, exported = str(tmp_path / "in"), str(tmp_path / "out")
  os.makedirs(source)
  os.makedirs(exported)
  keys = np.random.default_rng(1).permutation(_ROWS * 3)[:_ROWS].astype(
      np.int64)
  rows = np.random.default_rng(2).standard_normal((_ROWS, _DIM))
  admin.write_kv_files(source, "emb", keys, rows)
  del keys, rows

  rc, _, err, import_rss = admin.run_measured(
      config, "import", "emb", source, "--key-dtype", "int64", "--value-dtype",
      "float32", "--dim", _DIM, "--no-progress")
  assert rc == 0, err
  rc, out, err, export_rss = admin.run_measured(
      config, "export", "emb", exported, "--no-progress")
  assert rc == 0, err
  print("tfra-redis on %d rows of %d float32: import peak RSS %.1f MiB, "
        "export peak RSS %.1f MiB" % (_ROWS, _DIM, import_rss, export_rss))
  assert "exported 1,000,000 rows" in out
  assert import_rss < _MAX_RSS_MIB
  assert export_rss < _MAX_RSS_MIB

  want_keys, want_rows = _sorted(source, "emb")
  got_keys, got_rows = _sorted(exported, "emb")
  np.testing.assert_array_equal(got_keys, want_keys)
  np.testing.assert_array_equal(got_rows, want_rows)


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v", "-s"]))

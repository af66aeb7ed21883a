"""tfra-redis on tables with compact rows (`redis_value_encoding`).

The encoding lives in the table's layout record: `tables` and `inspect` show
it, `inspect` decodes rows to float32, copy-tag and rename-tag carry it to
the copy (which then opens with the same config, and only with it), export
writes TFRA's float32 files and import encodes them again.
"""

import json
import os
import sys

import numpy as np
import pytest
import tensorflow as tf

from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import redis_admin_util as admin

_DIM = 8


def _tag_of(config):
  with open(config) as f:
    return json.load(f)["model_tag_runtime"]


def _config(setup, encoding, tag=None, **overrides):
  if tag is not None:
    overrides.update(model_tag_runtime=tag, model_tag_import=tag)
  return setup.write_config(redis_value_encoding=encoding, **overrides)


def _table(config, name="emb"):
  return de.RedisTable(tf.int64, tf.float32, tf.zeros([_DIM]), name=name,
                       config=de.RedisTableConfig(redis_config_abs_dir=config))


def _fill(config, rows=200, name="emb"):
  """Random rows into the table; its keys and what lookups give back."""
  keys = np.arange(rows, dtype=np.int64) * 3
  values = np.random.default_rng(7).normal(0, 0.1, (rows, _DIM))
  table = _table(config, name)
  table.insert(tf.constant(keys), tf.constant(values, tf.float32))
  return keys, table.lookup(tf.constant(keys)).numpy()


def _lookup(config, keys, name="emb"):
  return _table(config, name).lookup(tf.constant(keys)).numpy()


def _assert_reencoded(found, decoded):
  """Rows encoded again from their decoded float32: float16 rows come back
  exactly, int8 ones within float rounding of the recomputed scale."""
  np.testing.assert_allclose(found, decoded, rtol=1e-6, atol=0)


def test_tables_and_inspect_show_the_encoding_and_float32_rows(
    standalone_setup):
  config = _config(standalone_setup, "int8", storage_slice=2)
  tag = _tag_of(config)
  keys, decoded = _fill(config)
  raw = _config(standalone_setup, "raw", tag=tag)
  _fill(raw, rows=10, name="plain")

  found = admin.tables(config, tag)
  assert found["emb"]["value_encoding"] == "int8"
  assert found["plain"]["value_encoding"] == "raw"  # no field: raw
  text = admin.run(config, "tables", "--tag", tag)
  assert text.rc == 0 and "ENCODING" in text.out and "int8" in text.out

  result = admin.run_json(config, "inspect", "emb", str(keys[5]),
                          str(keys[9]))
  assert result["layout"]["value_encoding"] == "int8"
  rows = {r["key"]: r["value"] for r in result["rows"]}
  # Nine digits give the float32 back exactly: what a lookup returns.
  np.testing.assert_array_equal(
      np.float32(rows[str(keys[5])]), decoded[5])
  np.testing.assert_array_equal(
      np.float32(rows[str(keys[9])]), decoded[9])
  text = admin.run(config, "inspect", "emb")
  assert text.rc == 0 and "value_encoding" in text.out and "int8" in text.out


def test_copy_and_rename_tag_keep_the_encoding(redis_setup):
  config = _config(redis_setup, "int8", storage_slice=3)
  tag = _tag_of(config)
  keys, decoded = _fill(config)

  copied = admin.run_json(config, "copy-tag", tag, tag + "_copy")
  assert copied["rows"] == len(keys)
  assert admin.tables(config, tag + "_copy")["emb"]["value_encoding"] == "int8"
  copy = _config(redis_setup, "int8", tag=tag + "_copy", storage_slice=3)
  np.testing.assert_array_equal(_lookup(copy, keys), decoded)
  # The copy is known as int8: opened as raw, it fails instead of misreading.
  with pytest.raises(tf.errors.FailedPreconditionError,
                     match='stored with redis_value_encoding "int8"'):
    _table(_config(redis_setup, "raw", tag=tag + "_copy",
                   storage_slice=3)).size()

  admin.run_json(config, "rename-tag", tag + "_copy", tag + "_moved")
  moved = _config(redis_setup, "int8", tag=tag + "_moved", storage_slice=3)
  assert admin.tables(moved, tag + "_moved")["emb"]["value_encoding"] == "int8"
  np.testing.assert_array_equal(_lookup(moved, keys), decoded)


@pytest.mark.parametrize("encoding", ["float16", "int8"])
def test_export_writes_float32_files_and_import_encodes_them(
    standalone_setup, tmp_path, encoding):
  config = _config(standalone_setup, encoding, storage_slice=2)
  tag = _tag_of(config)
  keys, decoded = _fill(config)
  folder = str(tmp_path)

  assert admin.run_json(config, "export", "emb", folder)["rows"] == len(keys)
  files = admin.read_kv_files(folder, "emb", _DIM)  # dim x 4 bytes per row
  assert files == {int(k): row.tobytes() for k, row in zip(keys, decoded)}

  # Into a new table: stored as the config says, recorded so, rows equal.
  imported = admin.run_json(config, "import", "copy", folder, "--file-name",
                            "emb", "--key-dtype", "int64", "--value-dtype",
                            "float32", "--dim", _DIM)
  assert imported["rows"] == len(keys)
  assert admin.tables(config, tag)["copy"]["value_encoding"] == encoding
  _assert_reencoded(_lookup(config, keys, "copy"), decoded)
  # Into the table itself (rows exist: its recorded encoding is used).
  assert admin.run_json(config, "import", "emb", folder)["rows"] == len(keys)
  _assert_reencoded(_lookup(config, keys), decoded)

  # The files are TFRA's float32 files: a raw table loads them as they are.
  raw = _config(standalone_setup, "raw", tag=tag + "_raw")
  plain = _table(raw, "plain")
  plain.load_from_file_system(folder, file_name="emb")
  np.testing.assert_array_equal(plain.lookup(tf.constant(keys)).numpy(),
                                decoded)
  # ... and so does tfra-redis under a raw config: a raw table, same values.
  admin.run_json(raw, "import", "again", folder, "--file-name", "emb",
                 "--key-dtype", "int64", "--value-dtype", "float32", "--dim",
                 _DIM)
  assert admin.tables(raw, tag + "_raw")["again"]["value_encoding"] == "raw"
  np.testing.assert_array_equal(_lookup(raw, keys, "again"), decoded)
  assert os.path.getsize(os.path.join(folder, "emb-values")) == \
      len(keys) * _DIM * 4


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

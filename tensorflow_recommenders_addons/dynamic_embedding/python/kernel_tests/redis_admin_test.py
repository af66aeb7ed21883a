"""tfra-redis against tables in Redis, in every connection mode.

Tables are written by the table ops (as training writes them); the tool is
run in this process through its command line (cli.main), as an operator runs
it. Interruptions and memory bounds are in redis_admin_copy_test.py and
redis_admin_files_test.py.
"""

import os
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import redis_admin_util as admin
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import training_util


def _tag_of(config):
  import json  # pylint: disable=g-import-not-at-top
  with open(config) as f:
    return json.load(f)["model_tag_runtime"]


def _table(config, name, key_dtype=tf.int64, value_dtype=tf.float32, dim=4):
  return de.RedisTable(key_dtype, value_dtype, tf.zeros([dim], value_dtype),
                       name=name,
                       config=de.RedisTableConfig(redis_config_abs_dir=config))


def _fill(config, name="emb", rows=300, first=0, step=1):
  """An int64 -> float32 table of dim 4 whose row for key k is k*4..k*4+3."""
  keys = np.arange(first, first + rows * step, step, dtype=np.int64)
  values = (keys[:, None] * 4 + np.arange(4)).astype(np.float32)
  _table(config, name).insert(tf.constant(keys), tf.constant(values))
  return keys


def _config_with_tag(redis_setup, tag, **overrides):
  return redis_setup.write_config(model_tag_runtime=tag, model_tag_import=tag,
                                  **overrides)


def _exported(config, name, folder, tag=None):
  """{key: row bytes} of the table, through `tfra-redis export`."""
  os.makedirs(folder, exist_ok=True)
  args = ["export", name, folder] + (["--tag", tag] if tag else [])
  assert admin.run(config, *args).rc == 0
  return admin.read_kv_files(folder, name, 4)


def test_tables_lists_each_table_with_its_schema_rows_and_buckets(redis_setup):
  config = redis_setup.write_config(storage_slice=3)
  tag = _tag_of(config)
  _fill(config, rows=300)
  _table(config, "names", tf.string, tf.int32, 2).insert(
      tf.constant(["a", "b"]), tf.constant([[1, 2], [3, 4]], tf.int32))

  found = admin.tables(config, tag)
  assert set(found) == {"emb", "names"}
  emb, names = found["emb"], found["names"]
  assert (emb["key_dtype"], emb["value_dtype"], emb["dim"]) == ("int64",
                                                                "float32", 4)
  assert (names["key_dtype"], names["value_dtype"],
          names["dim"]) == ("string", "int32", 2)
  assert (emb["rows"], emb["buckets"], emb["state"]) == (300, 3, "complete")
  assert emb["memory_bytes"] > 300 * 16
  assert emb["ttl_max_ms"] == -1
  assert 1 / 3 <= emb["largest_bucket_share"] < 0.5
  text = admin.run(config, "tables", "--tag", tag)
  assert text.rc == 0
  assert "emb" in text.out and "float32" in text.out and "300" in text.out


def test_inspect_decodes_rows_and_names_each_buckets_node(redis_setup):
  config = redis_setup.write_config(storage_slice=2)
  _fill(config, rows=10)
  result = admin.run_json(config, "inspect", "emb", "3", "9", "1000")
  rows = {r["key"]: r for r in result["rows"]}
  assert rows["3"]["value"] == [12, 13, 14, 15]
  assert rows["9"]["value"] == [36, 37, 38, 39]
  assert not rows["1000"]["found"]
  assert rows["3"]["bucket"] == 3 % 2  # (key & 0xFFFFFFFF) % storage_slice
  assert result["layout"]["layout_from"] == "layout record"
  masters = {"%s:%d" % (redis_setup.deployment.host, port)
             for port in redis_setup.deployment.node_ports("master")}
  assert {b["node"] for b in result["buckets"]} <= masters
  assert sum(b["rows"] for b in result["buckets"]) == 10


def test_plan_measures_rows_on_this_redis_and_leaves_nothing_behind(
    redis_setup):
  config = redis_setup.write_config()
  plan = admin.run_json(config, "plan", "--rows", 2_000_000, "--dim", 16,
                        "--sample-rows", 2000, "--bucket-limit", "64MiB")
  masters = len(redis_setup.deployment.node_ports("master"))
  assert plan["masters"] == masters
  # A row costs at least its bytes: an 8-byte key and 64 bytes of floats.
  assert plan["memory_per_row_bytes"] > 72
  assert plan["total_memory_bytes"] == int(plan["memory_per_row_bytes"] *
                                           2_000_000)
  assert plan["storage_slice"] % masters == 0
  assert plan["bucket_memory_bytes"] <= 64 << 20
  assert not redis_setup.keys("tfra-redis-plan*")


def test_hot_finds_the_bucket_that_holds_every_row(redis_setup):
  config = redis_setup.write_config(storage_slice=4)
  # Keys that are multiples of 4 all land in bucket 0 of 4.
  _fill(config, rows=2000, step=4)
  hot = admin.run_json(config, "hot", "emb", "--bucket-limit", "16KiB")
  (table,) = hot["tables"]
  assert table["skew"] == pytest.approx(4.0)
  assert table["over_limit"] == [table["buckets"][0]["key"]]
  assert table["buckets"][0]["share"] == 1.0
  assert table["suggested_storage_slice"] > 4
  assert table["suggest_using_hash"]
  text = admin.run(config, "hot", "emb", "--bucket-limit", "16KiB")
  assert "--using-hash true" in text.out

  # Hashed, the same keys spread over the buckets.
  rebucketed = admin.run_json(config, "rebucket", "emb", "--to", 4,
                              "--using-hash", "true")
  assert rebucketed["using_hash"] and rebucketed["rows_moved"] > 1000
  (table,) = admin.run_json(config, "hot", "emb")["tables"]
  assert table["skew"] < 1.2 and not table["suggest_using_hash"]
  assert len(table["buckets"]) == 4


@pytest.mark.usefixtures("fresh_session")
def test_copy_tag_then_training_on_the_copy_leaves_the_source_untouched(
    redis_setup, tmp_path):
  source = redis_setup.write_config()
  src_tag = _tag_of(source)
  dst_tag = src_tag + "_copy"
  trainer = training_util.Trainer("emb", training_util.creator_for(source))
  trainer.train(training_util.batches(3, seed=1))
  keras.backend.clear_session()
  src_tables = admin.tables(source, src_tag)
  assert len(src_tables) == 3  # the embedding and Adam's two slots

  def rows_of(tag, when):
    return {name: _exported(source, name, str(tmp_path / when / name), tag)
            for name in src_tables}

  before = rows_of(src_tag, "before")
  copied = admin.run_json(source, "copy-tag", src_tag, dst_tag)
  assert (copied["tables"], copied["rows"]) == (
      3, sum(t["rows"] for t in src_tables.values()))
  dst_tables = admin.tables(source, dst_tag)
  assert {n: t["state"] for n, t in dst_tables.items()} == {
      n: "complete" for n in src_tables}
  assert rows_of(dst_tag, "copied") == before

  target = _config_with_tag(redis_setup, dst_tag)
  copy = training_util.Trainer("emb", training_util.creator_for(target))
  copy.train(training_util.batches(3, seed=2, first_id=30))
  assert rows_of(src_tag, "after") == before
  trained = admin.tables(source, dst_tag)  # new ids 40..69 added rows
  assert (sum(t["rows"] for t in trained.values()) >
          sum(t["rows"] for t in src_tables.values()))


def test_copy_tag_refuses_a_target_that_holds_tables(redis_setup):
  config = redis_setup.write_config()
  tag = _tag_of(config)
  _fill(config, rows=5)
  other = _config_with_tag(redis_setup, tag + "_other")
  _fill(other, rows=5)
  result = admin.run(config, "copy-tag", tag, tag + "_other")
  assert result.rc == 1
  assert "already holds 1 tables" in result.err


def test_rename_tag_moves_every_table_and_its_rows(redis_setup, tmp_path):
  config = redis_setup.write_config(storage_slice=3)
  tag = _tag_of(config)
  _fill(config, rows=200)
  _fill(config, name="other", rows=20)
  before = _exported(config, "emb", str(tmp_path / "before"))
  renamed = admin.run_json(config, "rename-tag", tag, tag + "_v2")
  assert renamed["tables"] == 2
  assert not admin.tables(config, tag)
  assert _exported(config, "emb", str(tmp_path / "after"),
                   tag=tag + "_v2") == before


def test_drop_tag_asks_first_then_deletes_every_key_of_the_tag(redis_setup):
  config = redis_setup.write_config(storage_slice=2)
  tag = _tag_of(config)
  _fill(config, rows=50)
  refused = admin.run(config, "drop-tag", tag)  # stdin is no terminal
  assert refused.rc == 1 and "--yes" in refused.err
  assert admin.tables(config, tag)
  dropped = admin.run_json(config, "drop-tag", tag, "--yes")
  assert (dropped["tables"], dropped["keys"]) == (1, 3)  # 2 buckets, record
  assert not redis_setup.keys(tag + ":*")


def test_expire_tag_sets_a_ttl_that_reopening_the_table_clears(redis_setup):
  config = redis_setup.write_config(storage_slice=2)
  tag = _tag_of(config)
  _fill(config, rows=50)
  assert admin.run_json(config, "expire-tag", tag, 3600)["keys"] == 3
  table = admin.tables(config, tag)["emb"]
  assert 0 < table["ttl_min_ms"] <= 3600 * 1000
  _table(config, "emb").size()  # opening PERSISTs the buckets
  assert admin.tables(config, tag)["emb"]["ttl_max_ms"] == -1


def test_rebucket_moves_rows_into_the_new_buckets_without_loss(
    redis_setup, tmp_path):
  config = redis_setup.write_config(storage_slice=2)
  tag = _tag_of(config)
  keys = _fill(config, rows=1000)
  before = _exported(config, "emb", str(tmp_path / "before"))
  result = admin.run_json(config, "rebucket", "emb", "--to", 5)
  assert (result["from"], result["to"], result["rows"]) == (2, 5, 1000)
  table = admin.tables(config, tag)["emb"]
  assert (table["buckets"], table["rows"]) == (5, 1000)
  bigger = redis_setup.write_config(storage_slice=5, model_tag_runtime=tag,
                                    model_tag_import=tag)
  assert _exported(bigger, "emb", str(tmp_path / "after")) == before
  values = _table(bigger, "emb").lookup(tf.constant(keys[:3])).numpy()
  np.testing.assert_array_equal(values[:, 0], keys[:3] * 4)


def test_export_writes_upstream_files_and_import_reads_them_back(
    redis_setup, tmp_path):
  config = redis_setup.write_config(storage_slice=2)
  tag = _tag_of(config)
  _fill(config, rows=500)
  folder = str(tmp_path)
  assert admin.run_json(config, "export", "emb", folder)["rows"] == 500
  # The files are what save_to_file_system writes: the table op reads them.
  loaded = _table(config, "loaded")
  loaded.load_from_file_system(folder, file_name="emb")
  assert int(loaded.size()) == 500
  imported = admin.run_json(config, "import", "copy", folder, "--file-name",
                            "emb", "--key-dtype", "int64", "--value-dtype",
                            "float32", "--dim", 4)
  assert imported["rows"] == 500
  found = admin.tables(config, tag)
  assert (found["copy"]["rows"], found["copy"]["dim"]) == (500, 4)
  assert _exported(config, "copy", str(tmp_path / "again")) == \
      admin.read_kv_files(folder, "emb", 4)


def test_errors_name_what_is_wrong(redis_setup, tmp_path):
  config = redis_setup.write_config()
  missing = admin.run(config, "inspect", "no_such_table")
  assert missing.rc == 1 and "NOT_FOUND" in missing.err
  assert "no_such_table" in missing.err
  no_config = admin.run(str(tmp_path / "none.json"), "tables")
  assert no_config.rc == 1 and "none.json" in no_config.err
  schemaless = admin.run(config, "import", "fresh", str(tmp_path))
  assert schemaless.rc == 1 and "--key-dtype" in schemaless.err


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

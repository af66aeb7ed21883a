"""RedisTable.save_to_file_system / load_from_file_system against real Redis.

Every test runs in standalone, Cluster and Sentinel mode (`redis_setup`).
"""

import os
import sys

import numpy as np
import pytest
import tensorflow as tf

from tensorflow_recommenders_addons.dynamic_embedding.python.ops import dynamic_embedding_creator as creator
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import redis_table_ops

DIM = 3


def new_table(setup, name="emb", key_dtype=tf.int64, value_dtype=tf.float32,
              **config):
  default = ([b""] * DIM if value_dtype == tf.string else
             tf.zeros([DIM], value_dtype))
  path = setup.write_config(**config)
  return redis_table_ops.RedisTable(
      key_dtype, value_dtype, default, name=name,
      config=creator.RedisTableConfig(redis_config_abs_dir=path))


def sample_rows(key_dtype, value_dtype, first, count):
  """Keys first..first+count-1 (as bytes for string keys) and their rows."""
  ids = np.arange(first, first + count)
  if key_dtype == tf.string:
    keys = tf.constant([b"k\x00%d" % i for i in ids])
  else:
    keys = tf.constant(ids * 7919 - 40000, dtype=key_dtype)
  if value_dtype == tf.string:
    values = tf.constant([[b"v%d" % i, b"", b"\xff" * (i % 5)] for i in ids])
  elif value_dtype == tf.bool:
    values = tf.constant([[i % 2 == 0, True, False] for i in ids])
  else:
    values = tf.cast(tf.reshape(tf.range(count * DIM) + first * DIM,
                                [count, DIM]), value_dtype)
  return keys, values


def contents(table):
  keys, values = table.export()
  return {k: tuple(v) for k, v in zip(keys.numpy().tolist(),
                                      values.numpy().tolist())}


def expected(*pairs):
  rows = {}
  for keys, values in pairs:
    rows.update({k: tuple(v) for k, v in zip(keys.numpy().tolist(),
                                             values.numpy().tolist())})
  return rows


@pytest.mark.parametrize("key_dtype,value_dtype", [
    (tf.int64, tf.float32), (tf.int32, tf.float64), (tf.int64, tf.bfloat16),
    (tf.int64, tf.string), (tf.string, tf.float32), (tf.string, tf.bool),
])
def test_save_then_load_restores_every_row(redis_setup, tmp_path, key_dtype,
                                           value_dtype):
  table = new_table(redis_setup, key_dtype=key_dtype, value_dtype=value_dtype,
                    storage_slice=2)
  keys, values = sample_rows(key_dtype, value_dtype, 0, 300)
  table.insert(keys, values)
  table.save_to_file_system(str(tmp_path), buffer_size=64)
  assert sorted(os.listdir(tmp_path)) == ["emb-keys", "emb-values"]
  # Another bucket layout reads the same files.
  other = new_table(redis_setup, key_dtype=key_dtype, value_dtype=value_dtype,
                    storage_slice=3)
  other.insert(keys[:1], values[1:2])  # overwritten by the load
  other.load_from_file_system(str(tmp_path), file_name="emb", buffer_size=50)
  assert other.size().numpy() == 300
  assert contents(other) == expected((keys, values))
  # Lookups find every row: loaded rows went to this table's buckets.
  found, exists = other.lookup(keys, return_exists=True)
  assert exists.numpy().all()
  np.testing.assert_array_equal(found.numpy(), values.numpy())


def test_numeric_files_hold_raw_little_endian_keys_and_rows(redis_setup,
                                                            tmp_path):
  table = new_table(redis_setup, storage_slice=4)
  keys, values = sample_rows(tf.int64, tf.float32, 0, 100)
  table.insert(keys, values)
  table.save_to_file_system("file://" + str(tmp_path), file_name="f")
  file_keys = np.fromfile(tmp_path / "f-keys", dtype="<i8")
  file_rows = np.fromfile(tmp_path / "f-values", dtype="<f4").reshape(-1, DIM)
  assert len(file_keys) == 100
  assert {k: tuple(v) for k, v in zip(file_keys.tolist(), file_rows.tolist())
         } == expected((keys, values))


def test_string_keys_are_length_prefixed(redis_setup, tmp_path):
  table = new_table(redis_setup, key_dtype=tf.string)
  table.insert(tf.constant([b"ab\x00"]), tf.ones([1, DIM]))
  table.save_to_file_system(str(tmp_path))
  assert (tmp_path / "emb-keys").read_bytes() == b"\x03\x00\x00\x00ab\x00"


def test_append_to_file_adds_rows_to_existing_files(redis_setup, tmp_path):
  first = new_table(redis_setup)
  rows_a = sample_rows(tf.int64, tf.float32, 0, 10)
  first.insert(*rows_a)
  first.save_to_file_system(str(tmp_path), file_name="t")
  second = new_table(redis_setup)
  rows_b = sample_rows(tf.int64, tf.float32, 10, 5)
  second.insert(*rows_b)
  second.save_to_file_system(str(tmp_path), file_name="t", append_to_file=True)
  assert (tmp_path / "t-keys").stat().st_size == 15 * 8
  loaded = new_table(redis_setup)
  loaded.load_from_file_system(str(tmp_path), file_name="t")
  assert contents(loaded) == expected(rows_a, rows_b)


def test_load_entire_dir_loads_every_shard_of_the_name_only(redis_setup,
                                                           tmp_path):
  rows = {}
  for index, name in enumerate(["emb_mht_1of2_rank0_size1",
                                "emb_mht_2of2_rank0_size1",
                                "emb2_mht_1of1_rank0_size1"]):
    table = new_table(redis_setup, name="src%d" % index)
    rows[name] = sample_rows(tf.int64, tf.float32, index * 100, 20)
    table.insert(*rows[name])
    table.save_to_file_system(str(tmp_path), file_name=name)
  loaded = new_table(redis_setup)
  loaded.load_from_file_system(str(tmp_path),
                               file_name="emb_mht_1of2_rank0_size1",
                               load_entire_dir=True)
  assert contents(loaded) == expected(rows["emb_mht_1of2_rank0_size1"],
                                      rows["emb_mht_2of2_rank0_size1"])


def test_load_refuses_files_of_different_lengths(redis_setup, tmp_path):
  table = new_table(redis_setup)
  table.insert(*sample_rows(tf.int64, tf.float32, 0, 10))
  table.save_to_file_system(str(tmp_path))
  values_file = tmp_path / "emb-values"
  values_file.write_bytes(values_file.read_bytes()[:-DIM * 4])  # one row less
  loaded = new_table(redis_setup)
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match="emb-keys holds 10 keys .*emb-values holds 9 rows"):
    loaded.load_from_file_system(str(tmp_path))
  assert loaded.size().numpy() == 0


def test_load_of_a_missing_file_is_not_found(redis_setup, tmp_path):
  table = new_table(redis_setup)
  with pytest.raises(tf.errors.NotFoundError, match="nothing-keys"):
    table.load_from_file_system(str(tmp_path), file_name="nothing")


def test_folder_comes_from_the_env_var_named_by_dirpath_env(
    redis_setup, tmp_path, monkeypatch):
  table = new_table(redis_setup)
  rows = sample_rows(tf.int64, tf.float32, 0, 4)
  table.insert(*rows)
  monkeypatch.setenv("MY_SAVED_KV", str(tmp_path / "from_env"))
  table.save_to_file_system(str(tmp_path / "ignored"), dirpath_env="MY_SAVED_KV")
  assert sorted(os.listdir(tmp_path / "from_env")) == ["emb-keys",
                                                       "emb-values"]
  assert not (tmp_path / "ignored").exists()
  # The default variable, TFRA_SAVED_KV, as upstream.
  monkeypatch.setenv("TFRA_SAVED_KV", str(tmp_path / "from_env"))
  loaded = new_table(redis_setup)
  loaded.load_from_file_system(str(tmp_path / "ignored"))
  assert contents(loaded) == expected(rows)


def test_save_and_load_run_inside_tf_function(redis_setup, tmp_path):
  table = new_table(redis_setup)
  rows = sample_rows(tf.int64, tf.float32, 0, 8)
  table.insert(*rows)
  loaded = new_table(redis_setup)

  @tf.function
  def save_and_load(folder):
    # Two tables: TF orders ops per resource only, so the load is chained.
    with tf.control_dependencies([table.save_to_file_system(folder)]):
      loaded.load_from_file_system(folder, file_name="emb")

  save_and_load(tf.constant(str(tmp_path)))
  assert contents(loaded) == expected(rows)


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

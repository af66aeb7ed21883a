"""de.Variable.save_to_file_system / load_from_file_system.

Every test runs with the in-process backend and with Redis in standalone and
Cluster mode (conftest's `make_creator`, here also over a Cluster: the
shards of a variable then share a table spread over several masters).
"""

import os
import sys

import numpy as np
import pytest
import tensorflow as tf

from tensorflow_recommenders_addons import dynamic_embedding as de

DIM = 4
_EVERY_BACKEND = pytest.mark.parametrize(
    "make_creator", ["in_process", "standalone", "cluster"], indirect=True)


def new_variable(make_creator, name="emb", shards=2, key_dtype=tf.int64,
                 value_dtype=tf.float32):
  return de.Variable(key_dtype=key_dtype, value_dtype=value_dtype, dim=DIM,
                     devices=["/CPU:0"] * shards, name=name,
                     kv_creator=make_creator())


def sample_rows(first, count, key_dtype=tf.int64, value_dtype=tf.float32):
  ids = np.arange(first, first + count)
  keys = tf.constant(ids * 7919 - 40000, key_dtype)
  values = tf.cast(tf.reshape(tf.range(count * DIM) + first * DIM,
                              [count, DIM]), value_dtype)
  return keys, values


def rows_of(keys, values):
  return {k: tuple(v) for k, v in zip(keys.numpy().tolist(),
                                      values.numpy().tolist())}


def contents(var):
  return rows_of(*var.export())


def file_rows(path, key_dtype=np.int64, value_dtype=np.float32):
  """Rows of one saved file pair, decoded independently with numpy."""
  keys = np.fromfile(path + "-keys", dtype=key_dtype)
  values = np.fromfile(path + "-values", dtype=value_dtype).reshape(-1, DIM)
  assert len(keys) == len(values)
  return {k: tuple(v) for k, v in zip(keys.tolist(), values.tolist())}


@_EVERY_BACKEND
@pytest.mark.parametrize("shards", [1, 3])
def test_round_trip_into_a_fresh_variable(make_creator, tmp_path, shards):
  var = new_variable(make_creator, shards=shards)
  keys, values = sample_rows(0, 200)
  var.upsert(keys, values)
  var.save_to_file_system(str(tmp_path))
  expected_files = sorted("emb_mht_%dof%d_rank0_size1-%s" % (i, shards, kind)
                          for i in range(1, shards + 1)
                          for kind in ("keys", "values"))
  assert sorted(os.listdir(tmp_path)) == expected_files

  fresh = new_variable(make_creator, shards=shards)
  fresh.upsert(keys[:1], values[1:2] + 100)  # Overwritten by the load.
  fresh.load_from_file_system(str(tmp_path))
  assert fresh.size().numpy() == 200
  assert contents(fresh) == rows_of(keys, values)
  found, exists = fresh.lookup(keys, return_exists=True)
  assert exists.numpy().all()
  np.testing.assert_array_equal(found.numpy(), values.numpy())


@_EVERY_BACKEND
def test_each_shard_saves_its_own_rows_once(make_creator, tmp_path):
  """Shard i's files hold exactly the rows whose keys map to shard i, also
  on Redis, where all shards share one table (upstream wrote that whole table
  into every shard's files)."""
  var = new_variable(make_creator, shards=3)
  keys, values = sample_rows(0, 90)
  var.upsert(keys, values)
  var.save_to_file_system(str(tmp_path))
  per_file = [file_rows(str(tmp_path / ("emb_mht_%dof3_rank0_size1" % i)))
              for i in (1, 2, 3)]
  all_rows = rows_of(keys, values)
  for shard, rows in enumerate(per_file):  # key mod 3 picks the shard.
    assert rows == {k: v for k, v in all_rows.items() if k % 3 == shard}
  assert sum(len(rows) for rows in per_file) == 90


@_EVERY_BACKEND
def test_rank_and_size_in_file_names(make_creator, tmp_path):
  var = new_variable(make_creator, shards=2)
  keys, values = sample_rows(0, 40)
  var.upsert(keys[:20], values[:20])
  var.save_to_file_system(str(tmp_path), proc_size=3, proc_rank=0)
  var.clear()
  var.upsert(keys[20:], values[20:])
  var.save_to_file_system(str(tmp_path), proc_size=3, proc_rank=2)
  assert sorted(os.listdir(tmp_path)) == sorted(
      "emb_mht_%dof2_rank%d_size3-%s" % (shard, rank, kind)
      for shard in (1, 2) for rank in (0, 2) for kind in ("keys", "values"))

  rank2 = new_variable(make_creator, shards=2)
  rank2.load_from_file_system(str(tmp_path), proc_size=3, proc_rank=2)
  assert contents(rank2) == rows_of(keys[20:], values[20:])
  with pytest.raises(tf.errors.NotFoundError):
    new_variable(make_creator, shards=2).load_from_file_system(
        str(tmp_path), proc_size=3, proc_rank=1)


@_EVERY_BACKEND
def test_load_entire_dir_reads_every_rank_and_shard_count(make_creator,
                                                          tmp_path):
  keys, values = sample_rows(0, 60)
  for rank, shards, rows in ((0, 2, slice(0, 25)), (1, 2, slice(25, 40)),
                             (0, 3, slice(40, 60))):
    var = new_variable(make_creator, shards=shards)
    var.upsert(keys[rows], values[rows])
    var.save_to_file_system(str(tmp_path), proc_size=2, proc_rank=rank)
  # Files of another variable whose name extends this one stay out.
  other = new_variable(make_creator, name="emb2", shards=1)
  other.upsert(*sample_rows(1000, 5))
  other.save_to_file_system(str(tmp_path))

  loaded = new_variable(make_creator, shards=2)
  loaded.load_from_file_system(str(tmp_path), load_entire_dir=True)
  assert loaded.size().numpy() == 60
  assert contents(loaded) == rows_of(keys, values)
  found, exists = loaded.lookup(keys, return_exists=True)
  assert exists.numpy().all()
  np.testing.assert_array_equal(found.numpy(), values.numpy())


@_EVERY_BACKEND
def test_file_name_list_env_dir_and_append(make_creator, tmp_path,
                                           monkeypatch):
  var = new_variable(make_creator, shards=2)
  keys, values = sample_rows(0, 30)
  var.upsert(keys[:10], values[:10])
  names = ["first", "second"]
  monkeypatch.setenv("MY_KV_DIR", str(tmp_path / "from_env"))
  var.save_to_file_system("/nonexistent/ignored", file_name_list=names,
                          dirpath_env="MY_KV_DIR")
  var.clear()
  var.upsert(keys[10:], values[10:])
  var.save_to_file_system(str(tmp_path / "from_env"), file_name_list=names,
                          append_to_file=True)
  assert sorted(os.listdir(tmp_path / "from_env")) == [
      "first-keys", "first-values", "second-keys", "second-values"]

  fresh = new_variable(make_creator, shards=2)
  fresh.load_from_file_system("/nonexistent/ignored", file_name_list=names,
                              dirpath_env="MY_KV_DIR")
  assert contents(fresh) == rows_of(keys, values)
  with pytest.raises(ValueError, match="file_name_list"):
    fresh.load_from_file_system(str(tmp_path), file_name_list=["one"])


def test_backends_read_each_others_files(standalone_setup, tmp_path):
  """Files saved from Redis load into the in-process backend with every row
  in the shard its key maps to, and back; both write the same files."""
  keys, values = sample_rows(0, 50)
  redis_var = new_variable(standalone_setup.creator, shards=2)
  redis_var.upsert(keys, values)
  redis_var.save_to_file_system(str(tmp_path / "redis"))

  local = new_variable(de.CuckooHashTableCreator, shards=2)
  local.load_from_file_system(str(tmp_path / "redis"))
  assert local.size().numpy() == 50
  for shard in range(2):
    shard_keys = local.tables[shard].export()[0].numpy()
    assert all(k % 2 == shard for k in shard_keys.tolist())
  local.save_to_file_system(str(tmp_path / "local"))
  for shard in (1, 2):
    name = "emb_mht_%dof2_rank0_size1" % shard
    assert file_rows(str(tmp_path / "local" / name)) == file_rows(
        str(tmp_path / "redis" / name))

  back = new_variable(standalone_setup.creator, shards=2)
  back.load_from_file_system(str(tmp_path / "local"))
  assert contents(back) == rows_of(keys, values)


@pytest.mark.parametrize("key_dtype,value_dtype", [
    (tf.int32, tf.float64), (tf.int64, tf.bfloat16), (tf.int64, tf.int8),
    (tf.string, tf.float32),
])
@_EVERY_BACKEND
def test_other_dtypes_round_trip(make_creator, tmp_path, key_dtype,
                                 value_dtype):
  var = new_variable(make_creator, shards=2, key_dtype=key_dtype,
                     value_dtype=value_dtype)
  ids = np.arange(40)
  keys = (tf.constant([b"k\x00%d" % i for i in ids]) if key_dtype == tf.string
          else tf.constant(ids * 31 - 500, key_dtype))
  values = tf.cast(tf.reshape(tf.range(40 * DIM) % 100 - 50, [40, DIM]),
                   value_dtype)
  var.upsert(keys, values)
  var.save_to_file_system(str(tmp_path))
  fresh = new_variable(make_creator, shards=2, key_dtype=key_dtype,
                       value_dtype=value_dtype)
  fresh.load_from_file_system(str(tmp_path))
  assert contents(fresh) == rows_of(keys, values)


@_EVERY_BACKEND
def test_graph_mode_returns_ops(make_creator, tmp_path):
  with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
    var = new_variable(make_creator, name="g", shards=2)
    keys, values = sample_rows(0, 10)
    sess.run(var.upsert(keys, values))
    save = var.save_to_file_system(str(tmp_path))
    assert isinstance(save, tf.Operation)
    assert not os.listdir(tmp_path)  # Nothing happens until it runs.
    sess.run(save)
    fresh = new_variable(make_creator, name="g_fresh", shards=2)
    load = fresh.load_from_file_system(
        str(tmp_path), file_name_list=["g_mht_1of2_rank0_size1",
                                       "g_mht_2of2_rank0_size1"])
    assert sess.run(fresh.size()) == 0
    sess.run(load)
    assert sess.run(fresh.size()) == 10
    found = sess.run(fresh.lookup(keys))
    np.testing.assert_array_equal(found, sess.run(values))


@_EVERY_BACKEND
def test_mismatched_files_fail(make_creator, tmp_path):
  var = new_variable(make_creator, shards=1)
  var.upsert(*sample_rows(0, 5))
  var.save_to_file_system(str(tmp_path))
  with open(tmp_path / "emb_mht_1of1_rank0_size1-values", "ab") as f:
    f.write(b"\x00" * 3)
  with pytest.raises(tf.errors.InvalidArgumentError):
    new_variable(make_creator, shards=1).load_from_file_system(str(tmp_path))


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

"""RedisTable through the Python API against real Redis deployments.

Every test body runs in standalone, Cluster and Sentinel mode (the
`redis_setup` fixture), except those that need one particular topology; the
accum tests run there twice, without and with the HMACCUM module on the
servers (`accum_setup`).
"""

import json
import sys
import threading

import numpy as np
import pytest
import tensorflow as tf

from tensorflow_recommenders_addons.dynamic_embedding.python.ops import dynamic_embedding_creator as creator
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import redis_table_ops

RedisTable = redis_table_ops.RedisTable


def make_table(setup, name="emb", key_dtype=tf.int64, value_dtype=tf.float32,
               dim=4, default=-1, config_path=None, **config):
  path = config_path or setup.write_config(**config)
  if value_dtype == tf.string:
    default_value = tf.constant([b"-"] * dim)
  else:
    default_value = tf.cast(tf.constant([default] * dim), value_dtype)
  return RedisTable(key_dtype, value_dtype, default_value, name=name,
                    checkpoint=True,
                    config=creator.RedisTableConfig(redis_config_abs_dir=path))


@pytest.mark.parametrize("key_dtype,value_dtype", [
    (tf.int64, tf.float32), (tf.int64, tf.int64), (tf.int64, tf.float16),
    (tf.int64, tf.bfloat16), (tf.int64, tf.int8), (tf.int64, tf.string),
    (tf.int32, tf.float64), (tf.int32, tf.int32), (tf.string, tf.float32),
    (tf.string, tf.bool),
])
def test_insert_lookup_remove_export_round_trip(redis_setup, key_dtype,
                                                value_dtype):
  table = make_table(redis_setup, key_dtype=key_dtype, value_dtype=value_dtype,
                     dim=3, storage_slice=2)
  if key_dtype == tf.string:
    keys = tf.constant([b"a", b"bb", b"c c", b"\x00\xff"])
  else:
    keys = tf.constant([0, 1, -7, 1 << 20], dtype=key_dtype)
  if value_dtype == tf.string:
    values = tf.constant([[b"x%d%d" % (i, j) for j in range(3)]
                          for i in range(4)])
  elif value_dtype == tf.bool:
    values = tf.constant([[True, False, i % 2 == 0] for i in range(4)])
  else:
    values = tf.cast(tf.reshape(tf.range(12), [4, 3]), value_dtype)
  table.insert(keys, values)
  assert table.size().numpy() == 4
  table.remove(keys[1:2])
  assert table.size().numpy() == 3
  found, exists = table.lookup(keys, return_exists=True)
  assert exists.numpy().tolist() == [True, False, True, True]
  np.testing.assert_array_equal(found.numpy()[[0, 2, 3]],
                                values.numpy()[[0, 2, 3]])
  np.testing.assert_array_equal(found.numpy()[1],
                                table.default_value.numpy())
  exported_keys, exported_values = table.export()
  order = np.argsort(exported_keys.numpy())
  expected = sorted(zip(keys.numpy()[[0, 2, 3]].tolist(),
                        values.numpy()[[0, 2, 3]].tolist()))
  assert exported_keys.numpy()[order].tolist() == [k for k, _ in expected]
  np.testing.assert_array_equal(exported_values.numpy()[order],
                                np.array([v for _, v in expected]))


def test_missing_keys_get_their_own_dynamic_default_rows(redis_setup):
  table = make_table(redis_setup)
  table.insert(tf.constant([5], tf.int64), tf.ones([1, 4]))
  defaults = tf.reshape(tf.range(12, dtype=tf.float32), [3, 4])
  found = table.lookup(tf.constant([4, 5, 6], tf.int64),
                       dynamic_default_values=defaults)
  np.testing.assert_array_equal(found.numpy(), [[0, 1, 2, 3], [1, 1, 1, 1],
                                                [8, 9, 10, 11]])


def test_lookup_keeps_the_keys_shape(redis_setup):
  table = make_table(redis_setup, dim=2)
  found = table.lookup(tf.constant([[1, 2], [3, 4]], tf.int64))
  assert found.shape == (2, 2, 2)
  assert table.lookup(tf.constant([], tf.int64)).shape == (0, 2)


def test_accum_adds_deltas_and_inserts_only_absent_keys(accum_setup):
  table = make_table(accum_setup, dim=2)
  table.insert(tf.constant([1, 2], tf.int64), tf.constant([[1., 1.], [2., 2.]]))
  table.accum(tf.constant([1, 2, 3, 4], tf.int64),
              tf.constant([[10., 10.], [5., 5.], [7., 7.], [9., 9.]]),
              tf.constant([True, False, False, True]))
  found, exists = table.lookup(tf.constant([1, 2, 3, 4], tf.int64),
                               return_exists=True)
  # 1: present & delta -> sum; 2: present, caller saw it absent -> kept;
  # 3: absent & full row -> stored; 4: absent, caller saw it present -> skip.
  np.testing.assert_array_equal(found.numpy()[:3],
                                [[11., 11.], [2., 2.], [7., 7.]])
  assert exists.numpy().tolist() == [True, True, True, False]


def test_concurrent_accums_on_one_key_never_lose_an_update(accum_setup):
  table = make_table(accum_setup, dim=2, value_dtype=tf.int64)
  key = tf.constant([42], tf.int64)
  table.insert(key, tf.constant([[0, 0]], tf.int64))

  def add_ones():
    for _ in range(50):
      table.accum(key, tf.constant([[1, 2]], tf.int64), tf.constant([True]))

  workers = [threading.Thread(target=add_ones) for _ in range(4)]
  for worker in workers:
    worker.start()
  for worker in workers:
    worker.join()
  assert table.lookup(key).numpy().tolist() == [[200, 400]]


def _accum_calls(setup):
  """HMACCUM and EXEC calls on every master, from INFO commandstats."""
  calls = {"hmaccum": 0, "exec": 0}
  for port in setup.deployment.node_ports("master"):
    stats = setup.deployment.redis_cli(port, "INFO", "commandstats").lower()
    for command in calls:
      for line in stats.splitlines():
        if line.startswith("cmdstat_%s:calls=" % command):
          calls[command] += int(line.split("=")[1].split(",")[0])
  return calls


def test_accum_adds_inside_redis_where_the_module_is_loaded(accum_setup):
  table = make_table(accum_setup, dim=3)
  keys = tf.range(100, dtype=tf.int64)
  table.insert(keys, tf.ones([100, 3]))
  before = _accum_calls(accum_setup)
  table.accum(keys, tf.fill([100, 3], 2.0), tf.ones([100], tf.bool))
  after = _accum_calls(accum_setup)
  used = {k: after[k] - before[k] for k in after}
  if accum_setup.with_module:
    assert used["hmaccum"] > 0 and used["exec"] == 0, used
  else:
    assert used["hmaccum"] == 0 and used["exec"] > 0, used
  np.testing.assert_array_equal(table.lookup(keys), tf.fill([100, 3], 3.0))


def test_hmaccum_module_path_names_the_shipped_module():
  path = redis_table_ops.hmaccum_module_path()
  assert path.endswith("hmaccum.so")
  with open(path, "rb") as module:
    assert module.read(4) == b"\x7fELF"


def test_clear_touches_only_its_own_table(redis_setup):
  path = redis_setup.write_config(storage_slice=2)
  emb = make_table(redis_setup, name="emb", config_path=path)
  emb2 = make_table(redis_setup, name="emb2", config_path=path)
  weird = make_table(redis_setup, name="emb {x} %s *", config_path=path)
  for table in (emb, emb2, weird):
    table.insert(tf.constant([1, 2], tf.int64), tf.ones([2, 4]))
  emb.clear()
  assert emb.size().numpy() == 0
  assert emb2.size().numpy() == 2
  assert weird.size().numpy() == 2
  weird.clear()
  assert emb2.size().numpy() == 2


def test_buckets_spread_keys_in_every_mode(redis_setup):
  path = redis_setup.write_config(storage_slice=4)
  table = make_table(redis_setup, name="spread", config_path=path)
  table.insert(tf.range(100, dtype=tf.int64), tf.zeros([100, 4]))
  buckets = redis_setup.keys("*:spread{[0-9]*}")
  assert len(buckets) == 4, buckets


def test_changing_storage_slice_rebuckets_without_losing_keys(redis_setup):
  path = redis_setup.write_config(storage_slice=2)
  keys = tf.range(1000, dtype=tf.int64)
  values = tf.reshape(tf.cast(tf.range(4000), tf.float32), [1000, 4])
  make_table(redis_setup, name="rb", config_path=path).insert(keys, values)
  with open(path) as f:
    config = json.load(f)
  config["storage_slice"] = 3
  with open(path, "w") as f:
    json.dump(config, f)
  table = make_table(redis_setup, name="rb", config_path=path)
  assert table.size().numpy() == 1000
  np.testing.assert_array_equal(table.lookup(keys).numpy(), values.numpy())
  prefix = config["model_tag_runtime"] + ":rb{[0-9]*}"
  assert len(redis_setup.keys(prefix)) == 3


def test_model_tag_import_is_copied_and_kept(redis_setup):
  old_path = redis_setup.write_config()
  with open(old_path) as f:
    old = json.load(f)
  keys = tf.constant([1, 2, 3], tf.int64)
  make_table(redis_setup, name="tags", config_path=old_path).insert(
      keys, tf.ones([3, 4]))
  new_path = redis_setup.write_config(model_tag_import=old["model_tag_runtime"])
  migrated = make_table(redis_setup, name="tags", config_path=new_path)
  assert migrated.size().numpy() == 3
  migrated.insert(tf.constant([4], tf.int64), tf.ones([1, 4]))
  original = make_table(redis_setup, name="tags", config_path=old_path)
  assert original.size().numpy() == 3


def test_checkpoint_restore_is_exact_in_store_mode_0(redis_setup, tmp_path):
  table = make_table(redis_setup, name="ckpt")
  table.insert(tf.constant([1, 2], tf.int64), tf.ones([2, 4]))
  checkpoint = tf.train.Checkpoint(table=table)
  saved = checkpoint.save(str(tmp_path / "ckpt"))
  table.insert(tf.constant([3], tf.int64), tf.zeros([1, 4]))
  table.remove(tf.constant([1], tf.int64))
  checkpoint.restore(saved)
  keys, _ = table.export()
  assert sorted(keys.numpy().tolist()) == [1, 2]


def test_bad_input_gives_clear_errors(standalone_setup):
  table = make_table(standalone_setup, dim=2)
  with pytest.raises(TypeError):
    table.lookup(tf.constant([1], tf.int32))
  with pytest.raises((tf.errors.InvalidArgumentError, ValueError),
                     match="Expected shape"):
    table.insert(tf.constant([1, 2], tf.int64), tf.ones([2, 3]))
  table.insert(tf.constant([], tf.int64), tf.zeros([0, 2]))
  nan = tf.constant([[np.nan, 1.0]])
  table.insert(tf.constant([9], tf.int64), nan)
  assert np.isnan(table.lookup(tf.constant([9], tf.int64)).numpy()[0, 0])


def test_large_batches_round_trip(standalone_setup):
  table = make_table(standalone_setup, dim=8, storage_slice=4)
  keys = tf.range(200_000, dtype=tf.int64) * 7919
  values = tf.random.stateless_uniform([200_000, 8], seed=[1, 2])
  table.insert(keys, values)
  np.testing.assert_array_equal(table.lookup(keys).numpy(), values.numpy())
  assert table.size().numpy() == 200_000


def test_bad_config_fails_at_creation_naming_the_key(standalone_setup):
  path = standalone_setup.write_config(storage_slice=0)
  with pytest.raises(tf.errors.InvalidArgumentError, match="storage_slice"):
    make_table(standalone_setup, config_path=path)
  path = standalone_setup.write_config(redis_db="zero")
  with pytest.raises(tf.errors.InvalidArgumentError, match="redis_db"):
    make_table(standalone_setup, config_path=path)


def test_missing_config_file_is_a_value_error_naming_it(tmp_path):
  missing = str(tmp_path / "absent.json")
  with pytest.raises(ValueError, match="absent.json"):
    RedisTable(tf.int64, tf.float32, tf.zeros([2]), name="x",
               config=creator.RedisTableConfig(redis_config_abs_dir=missing))


def test_unreachable_redis_fails_instead_of_returning_defaults(tmp_path):
  from tools.testing import redis_servers  # pylint: disable=g-import-not-at-top
  with redis_servers.standalone() as deployment:  # Its own: a node dies.
    table = make_table(None, dim=2, config_path=deployment.write_table_config(
        str(tmp_path / "redis.json")))
    table.insert(tf.constant([1], tf.int64), tf.ones([1, 2]))
    (port,) = deployment.node_ports()
    deployment.kill_node(port)
    with pytest.raises(tf.errors.UnavailableError):
      table.lookup(tf.constant([1], tf.int64))


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

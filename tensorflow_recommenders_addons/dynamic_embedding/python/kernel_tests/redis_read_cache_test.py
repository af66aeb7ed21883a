"""The read cache (`redis_read_cache_bytes`) through the Python API.

The cache is one per process, made by the first table that asks for it, so
every test here asks for the same size and compares counts before and after.
"""

import sys

import numpy as np
import pytest
import tensorflow as tf

from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import redis_table_ops

_CAPACITY = 256 << 10  # room for about 700 rows of dim 64
_STALENESS_MS = 60000  # longer than any test: misses come from eviction only


def _table(setup, name="emb", dim=64, path=None):
  path = path or setup.write_config(
      redis_read_cache_bytes=_CAPACITY,
      redis_read_cache_staleness_ms=_STALENESS_MS)
  return redis_table_ops.RedisTable(
      tf.int64, tf.float32, tf.zeros([dim]), name=name,
      config=de.RedisTableConfig(redis_config_abs_dir=path))


def _stats(table):
  return {k: int(v) for k, v in table.read_cache_stats().items()}


def test_hot_keys_are_served_from_the_cache_and_counted(standalone_setup):
  table = _table(standalone_setup)
  keys = tf.range(100, dtype=tf.int64)
  rows = np.random.default_rng(1).normal(size=(100, 64)).astype(np.float32)
  table.insert(keys, rows)
  before = _stats(table)
  np.testing.assert_array_equal(table.lookup(keys), rows)
  np.testing.assert_array_equal(table.lookup(keys), rows)
  after = _stats(table)
  assert after["misses"] - before["misses"] == 100
  assert after["hits"] - before["hits"] == 100
  assert after["capacity_bytes"] == _CAPACITY
  assert 0 < after["bytes"] <= _CAPACITY


def test_the_bound_holds_and_full_caches_evict(standalone_setup):
  table = _table(standalone_setup)
  keys = tf.range(5000, dtype=tf.int64)
  table.insert(keys, tf.ones([5000, 64]))
  for first in range(0, 5000, 500):
    table.lookup(keys[first:first + 500])
    stats = _stats(table)
    assert stats["bytes"] <= _CAPACITY, stats
  assert stats["evictions"] > 0
  assert stats["entries"] < 5000


def test_writes_of_the_process_are_seen_at_once(redis_setup):
  table = _table(redis_setup, dim=2)
  # The same Redis rows through another table object (same config file).
  twin = _table(redis_setup, dim=2,
                path=table._config.redis_config_abs_dir)  # pylint: disable=protected-access
  keys = tf.constant([1, 2, 3], tf.int64)
  table.insert(keys, tf.ones([3, 2]))
  twin.lookup(keys)
  table.insert(keys, tf.fill([3, 2], 5.0))
  np.testing.assert_array_equal(twin.lookup(keys), tf.fill([3, 2], 5.0))
  table.remove(tf.constant([2], tf.int64))
  _, exists = twin.lookup(keys, return_exists=True)
  assert exists.numpy().tolist() == [True, False, True]
  table.clear()
  _, exists = twin.lookup(keys, return_exists=True)
  assert not exists.numpy().any()


def test_tables_without_the_cache_report_zeros(standalone_setup):
  path = standalone_setup.write_config()
  table = redis_table_ops.RedisTable(
      tf.int64, tf.float32, tf.zeros([2]), name="plain",
      config=de.RedisTableConfig(redis_config_abs_dir=path))
  stats = _stats(table)
  assert set(stats) == {"hits", "misses", "expired", "evictions", "entries",
                        "bytes", "capacity_bytes"}
  # The process may already have a cache (from another test); it is shared.
  assert stats["capacity_bytes"] in (0, _CAPACITY)


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

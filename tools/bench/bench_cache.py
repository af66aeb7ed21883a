"""The serving case of redis_table_bench (issue 16, item 2): skewed lookups
with and without the read cache, against raw HMGET of the same keys.

A private standalone server holds --cache_keys int64 keys (dim --cache_dim).
Lookups follow a Zipf law (exponent 1.05) over the keys, shuffled so hot keys
spread over the table; the same stream, cut into batches, goes to
raw_hash_bench (HMGET, best strategy: the raw limit), to a RedisTable without
a cache, and to one whose config gives the process a read cache of a tenth
of the rows (redis_read_cache_bytes = rows x the bytes each cached row is
charged). The cached table is warmed with one pass over twice the cache's
rows first; the hit rate is that of the timed lookups. Target: the cached
table at >= 5x the raw limit's keys/s. Each row also gives the ceiling the
misses set: raw HMGET of the keys a cache of the most frequent tenth misses
(T keys/s) holds a cached table with hit rate h near or below T / (1 - h)
keys/s.

Runs last in a benchmark run: the read cache is one per process, and once it
exists every table's writes drop their keys from it.
"""

import os
import tempfile

import numpy as np

from tools.bench import bench_report
from tools.bench import bench_setup

ZIPF_EXPONENT = 1.05
CACHE_SHARE = 0.1
# Bytes each cached row is charged besides its key and value
# (RowCache::kEntryOverheadBytes) and the key's 4-byte bucket id.
_ENTRY_OVERHEAD = 128 + 4
_STREAM_KEYS = 1 << 22  # lookups in the stream; batches cycle through it
_STALENESS_MS = 1000


def zipf_stream(n_keys, length, seed=16, tail_from=None):
  """`length` keys of 0..n_keys-1, key of rank r drawn with weight
  r^-ZIPF_EXPONENT; ranks mapped to keys by a random permutation. With
  `tail_from`, also the stream's keys of rank >= tail_from (those a cache of
  the tail_from most frequent keys would miss), repeated to `length`."""
  rng = np.random.default_rng(seed)
  weights = np.arange(1, n_keys + 1, dtype=np.float64) ** -ZIPF_EXPONENT
  cumulative = np.cumsum(weights)
  ranks = np.searchsorted(cumulative, rng.random(length) * cumulative[-1])
  keys = rng.permutation(n_keys)
  stream = keys[ranks].astype(np.int64)
  if tail_from is None:
    return stream
  return stream, np.resize(keys[ranks[ranks >= tail_from]], length).astype(
      np.int64)


def _windows(stream, batch):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  return [tf.constant(stream[w * batch:(w + 1) * batch])
          for w in range(len(stream) // batch)]


def _time_lookups(table, windows, budget, first=0):
  latencies, seconds, cpu = bench_setup.time_calls(
      lambda j: table.lookup(windows[(first + j) % len(windows)]), budget)
  return bench_report.summary(latencies, seconds, cpu,
                              int(windows[0].shape[0]))


def _table(config_path, name, dim):
  from tensorflow_recommenders_addons.dynamic_embedding.python.ops import creator_options  # pylint: disable=g-import-not-at-top
  from tensorflow_recommenders_addons.dynamic_embedding.python.ops import redis_table_ops  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  return redis_table_ops.RedisTable(
      tf.int64, tf.float32, tf.zeros([dim]), name=name,
      config=creator_options.RedisTableConfig(
          redis_config_abs_dir=config_path))


def _cached_run(table, windows, budget, capacity_rows):
  """Warms the cache, then times lookups; the measurement plus hit rate."""
  batch = int(windows[0].shape[0])
  warm_windows = min(len(windows), -(-2 * capacity_rows // batch))
  for w in range(warm_windows):
    table.lookup(windows[w])
  before = {k: int(v) for k, v in table.read_cache_stats().items()}
  measured = _time_lookups(table, windows, budget, first=warm_windows)
  after = {k: int(v) for k, v in table.read_cache_stats().items()}
  hits = after["hits"] - before["hits"]
  looked_up = hits + after["misses"] - before["misses"]
  measured["hit_rate"] = hits / max(1, looked_up)
  measured.update({k: after[k] for k in ("entries", "bytes",
                                         "capacity_bytes", "evictions")})
  return measured


def measure(args, budget, sink):
  """Rows of the cache case (case="cache"), one per batch size."""
  from tools.testing import redis_servers  # pylint: disable=g-import-not-at-top
  dim, n_keys = args.cache_dim, args.cache_keys
  capacity_rows = int(n_keys * CACHE_SHARE)
  capacity = capacity_rows * (8 + 4 * dim + _ENTRY_OVERHEAD)
  stream, tail = zipf_stream(n_keys, min(_STREAM_KEYS, 4 * n_keys),
                             tail_from=capacity_rows)
  with tempfile.TemporaryDirectory(prefix="cache-bench-") as directory, \
      redis_servers.standalone() as deployment:
    keys_file = os.path.join(directory, "zipf.keys")
    stream.tofile(keys_file)
    tail_file = os.path.join(directory, "tail.keys")
    tail.tofile(tail_file)
    plain = bench_setup.write_config(directory, deployment, "plain")
    cached = bench_setup.write_config(
        directory, deployment, "cached", redis_read_cache_bytes=capacity,
        redis_read_cache_staleness_ms=_STALENESS_MS)
    name = f"zipf{dim}"
    plain_table = _table(plain, name, dim)
    bench_setup.fill(plain_table.insert, dim, n_keys)
    bucket_list = bench_setup.buckets(deployment, name)
    cached_table = _table(cached, name, dim)
    for batch in args.cache_batches:
      windows = _windows(stream, batch)
      raw = bench_setup.run_raw(args.raw_bench, len(stream), bucket_list,
                                "hmget", dim, batch, budget,
                                [f"--keys_file={keys_file}"])
      # The misses' floor: raw HMGET of keys a cache misses (cold in
      # Redis' own caches too, so slower per key than the Zipf stream's).
      raw_tail = bench_setup.run_raw(args.raw_bench, len(tail), bucket_list,
                                     "hmget", dim, batch, budget,
                                     [f"--keys_file={tail_file}"])
      sink(bench_report.cache_row(
          dim, batch, n_keys, raw, _time_lookups(plain_table, windows, budget),
          _cached_run(cached_table, windows, budget, capacity_rows),
          raw_tail))


"""Splitting a key batch over a variable's shards and putting results back."""

import tensorflow as tf


def default_partition_fn(keys, shard_num):
  """Shard index of every key: `key mod n` (integers) or a string hash.

  Args:
    keys: int32, int64 or string tensor.
    shard_num: number of shards (Python int).

  Returns:
    int32 tensor shaped like `keys`, values in `[0, shard_num)`.
  """
  if shard_num == 1:
    return tf.zeros(tf.shape(keys), tf.int32)
  if keys.dtype == tf.string:
    return tf.cast(tf.strings.to_hash_bucket_fast(keys, shard_num), tf.int32)
  # floormod: negative keys map into [0, shard_num) too.
  return tf.cast(tf.math.floormod(keys, tf.cast(shard_num, keys.dtype)),
                 tf.int32)


class Partition:
  """A flat key batch split by shard, remembering where each key came from.

  Attributes:
    shard_ids: int32 `[N]` shard of each key.
    keys: list (one per shard) of that shard's keys.
    positions: list (one per shard) of int32 positions in the original batch.
  """

  def __init__(self, flat_keys, shard_ids, shard_num):
    self.shard_num = shard_num
    self.shard_ids = shard_ids
    self.keys = tf.dynamic_partition(flat_keys, shard_ids, shard_num)
    positions = tf.range(tf.size(flat_keys, out_type=tf.int32))
    self.positions = tf.dynamic_partition(positions, shard_ids, shard_num)

  def split(self, flat_tensor):
    """Splits a tensor aligned with the keys (`[N, ...]`) the same way."""
    return tf.dynamic_partition(flat_tensor, self.shard_ids, self.shard_num)

  def stitch(self, per_shard):
    """Reassembles per-shard results (`[N_i, ...]`) in original key order."""
    return tf.dynamic_stitch(self.positions, per_shard)


def partition(flat_keys, partition_fn, shard_num):
  """Splits `flat_keys` ([N]) over `shard_num` shards with `partition_fn`."""
  shard_ids = partition_fn(flat_keys, shard_num)
  return Partition(flat_keys, tf.cast(shard_ids, tf.int32), shard_num)


def per_shard(tables, devices, partition_fn, flat_keys, aligned, table_fn,
              stitch=False):
  """Runs `table_fn(table, keys, *aligned)` on each shard's part of a batch.

  Args:
    tables: the shard tables.
    devices: their devices (ops run there).
    partition_fn: `fn(keys, shard_num) -> shard ids`.
    flat_keys: `[N]` keys.
    aligned: tensors aligned with the keys (`[N, ...]`), split the same way;
      None entries stay None.
    table_fn: the per-table operation.
    stitch: put per-shard results (a tensor or a tuple of tensors) back in
      key order; otherwise group the ops.

  Returns:
    The stitched result, or a grouped op.
  """
  shard_num = len(tables)
  if shard_num == 1:
    result = table_fn(tables[0], flat_keys, *aligned)
    return result if stitch else tf.group(result)
  part = partition(flat_keys, partition_fn, shard_num)
  split = [part.split(a) if a is not None else [None] * shard_num
           for a in aligned]
  results = []
  for i, table in enumerate(tables):
    with tf.device(devices[i]):
      results.append(table_fn(table, part.keys[i], *[s[i] for s in split]))
  if not stitch:
    return tf.group(*results)
  if isinstance(results[0], tuple):
    return tuple(part.stitch(list(r)) for r in zip(*results))
  return part.stitch(results)

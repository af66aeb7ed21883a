"""Golden cases: each drives upstream TFRA 0.8.1 against private Redis and reports what it wrote.

Imported only by the child process of make_redis_golden.py (it imports TensorFlow and the
upstream package). A case function takes a CaseContext and returns a JSON-able dict; the
parent adds the MONITOR summary and the layout checks.
"""

import gc
import json
import os

import numpy as np
import tensorflow as tf
import tensorflow_recommenders_addons.dynamic_embedding as de

from tools.compat import redis_keys

INT64_KEYS = [0, 1, 2, 3, 4, 5, 6, 7, -1, -2, -3, 2**32, 2**32 + 1, 2**32 + 3, 2**33 + 2,
              2**40 + 5, 123456789, 2**63 - 1, -2**63]
INT32_KEYS = [0, 1, 2, 3, 4, 5, -1, -2, -7, 2**31 - 1, -2**31, 65536]
# Cluster string keys stay <= 22 bytes: upstream hashes the tstring object, which is only
# deterministic for TF's small-string layout.
SHORT_STRING_KEYS = [b"", b"a", b"abc", b"hello", b"user:42", b"\x00\xff", b"x" * 22]
STRING_KEYS = SHORT_STRING_KEYS + [b"a-key-longer-than-twenty-two-bytes"]

TF_DTYPES = {"int32": tf.int32, "int64": tf.int64, "string": tf.string, "float32": tf.float32,
             "float64": tf.float64, "half": tf.float16, "bfloat16": tf.bfloat16,
             "int8": tf.int8, "bool": tf.bool}


class CaseContext:
  """What a case may use: the deployment's ports, a work dir and config/dump helpers."""

  def __init__(self, env):
    self.case = env["case"]
    self.deployment = env["deployment"]
    self.ports = env["ports"]
    self.connection = env["connection"]  # The launcher's table_config() of the deployment.
    self.workdir = env["workdir"]
    self.model_lib = os.path.join(self.workdir, "model_lib") + "/"

  def config(self, file_name="config.json", **overrides):
    """Writes a config for this deployment; model_lib_abs_dir points into the work dir."""
    cfg = dict(self.connection, model_lib_abs_dir=self.model_lib)
    cfg.update(overrides)
    path = os.path.join(self.workdir, file_name)
    with open(path, "w") as f:
      json.dump(cfg, f, indent=1)
    return path, cfg

  @staticmethod
  def creator(path):
    return de.RedisTableCreator(config=de.RedisTableConfig(redis_config_abs_dir=path))

  def dump(self):
    return redis_keys.dump_keys(self.ports)

  def ttls(self):
    return redis_keys.ttls(self.ports)

  def flush(self):
    redis_keys.flush_all(self.ports)

  def model_lib_files(self):
    """Files under model_lib_abs_dir: relative name, size, content hex when small."""
    files = []
    for root, _, names in os.walk(self.model_lib):
      for name in sorted(names):
        path = os.path.join(root, name)
        with open(path, "rb") as f:
          data = f.read()
        entry = {"name": os.path.relpath(path, self.model_lib), "size": len(data)}
        if len(data) <= 4096:
          entry["hex"] = data.hex()
        files.append(entry)
    return sorted(files, key=lambda e: e["name"])


def make_values(value_dtype, count, dim):
  """Deterministic rows; exact in every value dtype used."""
  rows = []
  for i in range(count):
    if value_dtype == "string":
      rows.append([(b"v%d_%d" % (i, j)) * (j % 3) + (b"\x00\xff" if j == 1 else b"")
                   for j in range(dim)])
    elif value_dtype == "bool":
      rows.append([(i + j) % 2 == 0 for j in range(dim)])
    elif value_dtype in ("int32", "int64", "int8"):
      rows.append([((i * 10 + j) % 128) * (-1 if j % 2 else 1) for j in range(dim)])
    else:
      rows.append([(i + 1) + j / 8.0 for j in range(dim)])
  return rows


def json_key(key):
  return key.hex() if isinstance(key, bytes) else key


def json_row(row):
  return [v.hex() if isinstance(v, bytes) else v for v in row]


def to_numpy(values, value_dtype):
  if value_dtype == "string":
    return np.array(values, dtype=object)
  return np.array(values, dtype=TF_DTYPES[value_dtype].as_numpy_dtype)


def rows_json(values, value_dtype):
  if value_dtype == "string":
    return [[v.hex() for v in row] for row in values]
  return values.astype(np.float64 if value_dtype in ("half", "bfloat16") else values.dtype).tolist()


def readback(var, keys, key_dtype, value_dtype):
  """Upstream's own lookup of `keys` + one absent key: values and exists flags."""
  absent = b"absent-key" if key_dtype == "string" else 999999
  ids = tf.constant(list(keys) + [absent], dtype=TF_DTYPES[key_dtype])
  values, exists = var.lookup(ids, return_exists=True)
  return {"values": rows_json(values.numpy(), value_dtype), "exists": exists.numpy().tolist()}


def make_table(ctx, api, name, key_dtype, value_dtype, dim, path, **kwargs):
  kd, vd = TF_DTYPES[key_dtype], TF_DTYPES[value_dtype]
  creator = ctx.creator(path)
  if api == "get_variable":
    return de.get_variable(name, key_dtype=kd, value_dtype=vd, dim=dim, kv_creator=creator,
                           **kwargs)
  if api == "Variable":
    return de.Variable(key_dtype=kd, value_dtype=vd, dim=dim, name=name, kv_creator=creator,
                       **kwargs)
  default = tf.constant([b""] * dim if value_dtype == "string" else [0] * dim, dtype=vd)
  return de.RedisTable(kd, vd, default, name=name, config=creator.config)


def insert_case(ctx, key_dtype, value_dtype, dim, keys, api="Variable", name="emb", **config):
  """The common shape: one table, upsert `keys`, dump, read back, destroy, TTLs."""
  path, cfg = ctx.config(**config)
  var = make_table(ctx, api, name, key_dtype, value_dtype, dim, path)
  rows = make_values(value_dtype, len(keys), dim)
  ids = tf.constant(keys, dtype=TF_DTYPES[key_dtype])
  values = tf.constant(to_numpy(rows, value_dtype), dtype=TF_DTYPES[value_dtype])
  if api == "RedisTable":
    var.insert(ids, values)
  else:
    var.upsert(ids, values)
  read = readback(var, keys, key_dtype, value_dtype)
  result = {"config": cfg, "api": api, "embedding_name": name.split("_mht_")[0],
            "key_dtype": key_dtype, "value_dtype": value_dtype, "dim": dim,
            "inserted": [[json_key(k), json_row(r)] for k, r in zip(keys, rows)],
            "size": int(var.size().numpy()), "readback": read, "redis": ctx.dump()}
  del var, ids, values
  gc.collect()
  result["ttl_after_del_gc"] = ctx.ttls()
  result["model_lib_files"] = ctx.model_lib_files()
  return result


def train_case(ctx):
  """(h): two shards on /CPU:0 and one Adam step in eager mode, slot tables in Redis."""
  path, cfg = ctx.config()
  var = de.get_variable("emb", key_dtype=tf.int64, value_dtype=tf.float32, dim=4,
                        devices=["/CPU:0", "/CPU:0"], kv_creator=ctx.creator(path),
                        initializer=tf.keras.initializers.Constant(0.5))
  optimizer = de.DynamicEmbeddingOptimizer(tf.keras.optimizers.Adam(0.1))
  keys = [1, 2, 3, 4, 5, -6, 2**32 + 7]
  ids = tf.constant(keys, tf.int64)
  trainables = []

  def loss_fn():
    emb, trainable = de.embedding_lookup(var, ids, return_trainable=True, name="lk")
    trainables.append(trainable)
    return tf.reduce_sum(emb * emb)

  optimizer.minimize(loss_fn, var_list=lambda: trainables)
  slots = var.get_slot_variables(optimizer)
  # pylint: disable=protected-access
  result = {"config": cfg, "api": "get_variable+DynamicEmbeddingOptimizer(tf_keras Adam)",
            "embedding_name": "emb", "key_dtype": "int64", "value_dtype": "float32", "dim": 4,
            "initializer": 0.5, "trained_keys": keys,
            "tables": [t.name for t in var._tables],
            "table_embedding_names": [t._embedding_name for t in var._tables],
            "slot_variables": [{"name": s.name, "tables": [t.name for t in s._tables]}
                               for s in slots],
            "size": int(var.size().numpy()),
            "shard_sizes": [int(var.size(i).numpy()) for i in range(2)],
            "readback": readback(var, keys, "int64", "float32"), "redis": ctx.dump()}
  del var, optimizer, trainables, slots
  gc.collect()
  result["ttl_after_del_gc"] = ctx.ttls()
  result["model_lib_files"] = ctx.model_lib_files()
  return result


def rebucket_case(ctx, slices_before, slices_after):
  """(m): write with S=slices_before, then open with S=slices_after, storage_slice_import=before."""
  keys = INT64_KEYS
  path, cfg = ctx.config(file_name="config_before.json", storage_slice=slices_before)
  before = make_table(ctx, "Variable", "emb", "int64", "float32", 4, path)
  rows = make_values("float32", len(keys), 4)
  before.upsert(tf.constant(keys, tf.int64), tf.constant(rows, tf.float32))
  result = {"config": cfg, "api": "Variable", "embedding_name": "emb", "key_dtype": "int64",
            "value_dtype": "float32", "dim": 4,
            "inserted": [[k, json_row(r)] for k, r in zip(keys, rows)], "redis": ctx.dump()}
  path, cfg_after = ctx.config(file_name="config_after.json", storage_slice=slices_after,
                               storage_slice_import=slices_before)
  # Same embedding name, new slice count: upstream re-buckets at construction (spec 5.1).
  after = make_table(ctx, "Variable", "emb", "int64", "float32", 4, path)
  result["config_after"] = cfg_after
  result["redis_after"] = ctx.dump()
  result["readback_after"] = readback(after, keys, "int64", "float32")
  result["size_after"] = int(after.size().numpy())
  return result

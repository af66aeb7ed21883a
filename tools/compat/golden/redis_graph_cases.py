"""Golden cases that need TF1 graph mode: checkpoints through a Saver (i) and TTLs at table
destruction (j), which upstream only triggers when a Session's resources are freed.

Each function disables eager execution first, so it must run in a fresh child process.
"""

import gc
import os

import numpy as np
import tensorflow as tf
import tensorflow_recommenders_addons.dynamic_embedding as de

from tools.compat.golden.redis_cases import json_row
from tools.compat.golden.redis_cases import make_values

KEYS = [1, 2, 3, -4, 2**32 + 5]
DIM = 4


def _graph_table(ctx, path, name="emb"):
  return de.get_variable(name, key_dtype=tf.int64, value_dtype=tf.float32, dim=DIM,
                         kv_creator=ctx.creator(path),
                         initializer=tf.keras.initializers.Constant(-1.0))


def _checkpoint_listing(prefix):
  directory = os.path.dirname(prefix)
  files = [{"name": n, "size": os.path.getsize(os.path.join(directory, n))}
           for n in sorted(os.listdir(directory))]
  tensors = []
  for name, shape in tf.train.list_variables(prefix):
    value = np.asarray(tf.train.load_variable(prefix, name))
    entry = {"name": name, "shape": shape, "dtype": str(value.dtype)}
    if value.dtype.kind in "SO":
      items = [bytes(v) for v in value.reshape(-1)]
      if sum(len(v) for v in items) <= 512:
        entry["value_hex"] = [v.hex() for v in items]
    elif value.size <= 64:
      entry["value"] = value.tolist()
    tensors.append(entry)
  return {"files": files, "tensors": tensors}


def checkpoint_case(ctx, table_store_mode):
  """(i): save with a Saver, FLUSHALL, restore in a new graph; record files and Redis."""
  tf.compat.v1.disable_eager_execution()
  path, cfg = ctx.config(table_store_mode=table_store_mode)
  prefix = os.path.join(ctx.workdir, "ckpt", "model")
  rows = make_values("float32", len(KEYS), DIM)
  result = {"config": cfg, "api": "get_variable + tf.compat.v1.train.Saver (graph mode)",
            "embedding_name": "emb", "key_dtype": "int64", "value_dtype": "float32", "dim": DIM,
            "inserted": [[k, json_row(r)] for k, r in zip(KEYS, rows)]}
  with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
    var = _graph_table(ctx, path)
    sess.run(var.upsert(tf.constant(KEYS, tf.int64), tf.constant(rows, tf.float32)))
    saver = tf.compat.v1.train.Saver()
    result["saved_path"] = os.path.relpath(saver.save(sess, prefix), ctx.workdir)
    result["redis"] = ctx.dump()
  result["checkpoint"] = _checkpoint_listing(prefix)
  result["model_lib_files_after_save"] = ctx.model_lib_files()
  ctx.flush()
  with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
    var = _graph_table(ctx, path)
    saver = tf.compat.v1.train.Saver()
    saver.restore(sess, prefix)
    result["size_after_restore"] = int(sess.run(var.size()))
    values, exists = sess.run(var.lookup(tf.constant(KEYS, tf.int64), return_exists=True))
    result["readback_after_restore"] = {"values": values.tolist(), "exists": exists.tolist()}
    result["redis_after_restore"] = ctx.dump()
  result["model_lib_files_after_restore"] = ctx.model_lib_files()
  return result


def eager_checkpoint_case(ctx):
  """(i, eager): tf.train.Checkpoint save, FLUSHALL, restore into the same object."""
  path, cfg = ctx.config(table_store_mode=1)
  # Upstream's own mkdir of model_lib_abs_dir failed in this mode on some runs (see README);
  # creating it here isolates the checkpoint behaviour from that bug.
  os.makedirs(os.path.join(ctx.model_lib, "test"), exist_ok=True)
  rows = make_values("float32", len(KEYS), DIM)
  var = _graph_table(ctx, path)
  var.upsert(tf.constant(KEYS, tf.int64), tf.constant(rows, tf.float32))
  checkpoint = tf.train.Checkpoint(emb=var)
  saved = checkpoint.save(os.path.join(ctx.workdir, "ckpt", "model"))
  result = {"config": cfg, "api": "get_variable + tf.train.Checkpoint (eager)",
            "embedding_name": "emb", "key_dtype": "int64", "value_dtype": "float32", "dim": DIM,
            "inserted": [[k, json_row(r)] for k, r in zip(KEYS, rows)], "redis": ctx.dump(),
            "checkpoint": _checkpoint_listing(saved),
            "model_lib_files_after_save": ctx.model_lib_files()}
  ctx.flush()
  checkpoint.restore(saved)
  result["size_after_restore"] = int(var.size().numpy())
  result["redis_after_restore"] = ctx.dump()
  result["model_lib_files_after_restore"] = ctx.model_lib_files()
  return result


def _ttl_after_close(ctx, tag, **overrides):
  """Insert, close the Session (destroys the table), then reopen: TTLs at each step."""
  path, cfg = ctx.config(file_name=f"config_{tag}.json", **overrides)
  rows = make_values("float32", len(KEYS), DIM)
  outcome = {"config": cfg}
  with tf.Graph().as_default():
    sess = tf.compat.v1.Session()
    var = _graph_table(ctx, path, name=f"emb_{tag}")
    sess.run(var.upsert(tf.constant(KEYS, tf.int64), tf.constant(rows, tf.float32)))
    outcome["ttl_while_open"] = ctx.ttls()
    sess.close()
    outcome["ttl_after_session_close"] = ctx.ttls()
    del sess, var
    gc.collect()
  with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
    var = _graph_table(ctx, path, name=f"emb_{tag}")
    outcome["size_after_reopen"] = int(sess.run(var.size()))
    outcome["ttl_after_reopen"] = ctx.ttls()
  return outcome


def expire_case(ctx):
  """(j): TTLs after the Session holding the table closes, for several expire settings."""
  tf.compat.v1.disable_eager_execution()
  result = {"api": "get_variable in a tf.compat.v1.Session; close() destroys the table",
            "embedding_name": "emb_<tag>", "key_dtype": "int64", "value_dtype": "float32",
            "dim": DIM, "inserted_keys": KEYS, "variants": {}}
  for tag, overrides in (("e1000", {"expire_model_tag_in_seconds": 1000}),
                         ("e0", {"expire_model_tag_in_seconds": 0}),
                         ("eneg", {"expire_model_tag_in_seconds": -1}), ("edefault", {})):
    result["variants"][tag] = _ttl_after_close(ctx, tag, **overrides)
  result["redis"] = ctx.dump()
  return result

"""Writes the reverse-check tables with THIS project's RedisTable (run under our Python).

    python tools/compat/reverse/write_ours.py CASES_JSON

CASES_JSON: a list of cases (cases.py) each with "config_path". The package must be
importable (PYTHONPATH holding tensorflow_recommenders_addons with its op library). It
imports the table and config through upstream's module paths, which must keep working.
"""

import json
import sys


def write_case(case, tf, redis_table_ops, creator):
  key_dtype = tf.as_dtype(case["key_dtype"])
  value_dtype = tf.as_dtype(case["value_dtype"])
  keys = [k for k, _ in case["inserted"]]
  rows = [r for _, r in case["inserted"]]
  if case["key_dtype"] == "string":
    keys = tf.constant([bytes.fromhex(k) for k in keys])
  else:
    keys = tf.constant(keys, dtype=key_dtype)
  if case["value_dtype"] == "string":
    values = tf.constant([[bytes.fromhex(v) for v in row] for row in rows])
    default = tf.constant([b""] * case["dim"])
  elif case["value_dtype"] == "bool":
    values = tf.constant(rows, dtype=tf.bool)
    default = tf.zeros([case["dim"]], tf.bool)
  else:
    # float64 holds every case value exactly; the cast is exact too.
    values = tf.cast(tf.constant(rows, dtype=tf.float64), value_dtype)
    default = tf.zeros([case["dim"]], value_dtype)
  config = creator.RedisTableConfig(redis_config_abs_dir=case["config_path"])
  table = redis_table_ops.RedisTable(key_dtype, value_dtype, default,
                                     name=case["embedding_name"], config=config)
  table.insert(keys, values)
  if case["files"]:
    table.save_to_file_system(case["files_dir"], file_name=case["embedding_name"])
  size = int(table.size().numpy())
  if size != len(case["inserted"]):
    raise RuntimeError("%s: our table holds %d rows after inserting %d" %
                       (case["name"], size, len(case["inserted"])))


def main():
  # pylint: disable=import-outside-toplevel
  import tensorflow as tf
  from tensorflow_recommenders_addons.dynamic_embedding.python.ops import dynamic_embedding_creator as creator
  from tensorflow_recommenders_addons.dynamic_embedding.python.ops import redis_table_ops
  with open(sys.argv[1]) as f:
    cases = json.load(f)
  for case in cases:
    write_case(case, tf, redis_table_ops, creator)
  print("wrote %d tables" % len(cases))
  return 0


if __name__ == "__main__":
  sys.exit(main())

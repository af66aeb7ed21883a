"""Reads keys from an existing Redis with upstream TFRA 0.8.1 and prints what it sees, as JSON.

Lets a test check that upstream reads back data written by this project's implementation.
Run under the upstream virtualenv (see tools/compat/README.md):

    TF_USE_LEGACY_KERAS=1 "$(bash tools/compat/ensure_tfra081_venv.sh)" \\
        tools/compat/upstream_reader.py --config cfg.json --embedding-name emb \\
        --key-dtype int64 --value-dtype float32 --dim 4 --keys '[1, -2]'

Keys are JSON: integers, or hex strings for string keys (also via --keys-file). stdout gets
one JSON object:
    {"values": [[...], ...], "exists": [true, ...], "size": N, "export": {...}?}
String values are hex; half/bfloat16 values are printed as floats. Missing keys read as
zeros (empty strings) with exists false. Only the JSON goes to stdout; TF logs go to stderr.

--api RedisTable (default) builds a bare de.RedisTable named after the embedding, which
sends no checkpoint-related DUMPs; --api Variable goes through de.Variable (what training
code uses; note that in eager mode with table_store_mode 1 this DUMPs buckets to files).
--export adds upstream's export() (meaningful with table_store_mode 0 only).
"""

import argparse
import contextlib
import json
import os
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

DTYPES = ("int32", "int64", "string", "float32", "float64", "half", "bfloat16", "int8", "bool")


def parse_args(argv):
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--config", required=True, help="path of the TFRA Redis JSON config")
  parser.add_argument("--embedding-name", required=True)
  parser.add_argument("--key-dtype", required=True, choices=("int32", "int64", "string"))
  parser.add_argument("--value-dtype", required=True, choices=DTYPES)
  parser.add_argument("--dim", required=True, type=int)
  keys = parser.add_mutually_exclusive_group(required=True)
  keys.add_argument("--keys", help="JSON list of keys")
  keys.add_argument("--keys-file", help="file holding a JSON list of keys")
  parser.add_argument("--api", choices=("RedisTable", "Variable"), default="RedisTable")
  parser.add_argument("--export", action="store_true", help="also print export()")
  return parser.parse_args(argv)


def load_keys(args):
  if args.keys_file:
    with open(args.keys_file) as f:
      keys = json.load(f)
  else:
    keys = json.loads(args.keys)
  if args.key_dtype == "string":
    return [bytes.fromhex(k) for k in keys]
  return [int(k) for k in keys]


def to_json_rows(array, value_dtype):
  import numpy as np  # pylint: disable=import-outside-toplevel
  if value_dtype == "string":
    return [[v.hex() for v in row] for row in array]
  if value_dtype in ("half", "bfloat16"):
    return array.astype(np.float64).tolist()
  return array.tolist()


def build_table(args, tf, de):
  """The upstream table over the existing Redis data described by --config."""
  key_dtype, value_dtype = tf.as_dtype(args.key_dtype), tf.as_dtype(args.value_dtype)
  config = de.RedisTableConfig(redis_config_abs_dir=os.path.abspath(args.config))
  if args.api == "Variable":
    creator = de.RedisTableCreator(config=config)
    return de.Variable(key_dtype=key_dtype, value_dtype=value_dtype, dim=args.dim,
                       name=args.embedding_name, kv_creator=creator)
  if args.value_dtype == "string":
    default = tf.constant([b""] * args.dim)
  else:
    default = tf.zeros([args.dim], dtype=value_dtype)
  return de.RedisTable(key_dtype, value_dtype, default, name=args.embedding_name, config=config)


def read(args):
  # pylint: disable=import-outside-toplevel
  import tensorflow as tf
  import tensorflow_recommenders_addons.dynamic_embedding as de
  keys = load_keys(args)
  table = build_table(args, tf, de)
  ids = tf.constant(keys, dtype=tf.as_dtype(args.key_dtype))
  values, exists = table.lookup(ids, return_exists=True)
  result = {"values": to_json_rows(values.numpy(), args.value_dtype),
            "exists": exists.numpy().tolist(), "size": int(table.size().numpy())}
  if args.export:
    exported_keys, exported_values = table.export()
    exported_keys = exported_keys.numpy().tolist()
    if args.key_dtype == "string":
      exported_keys = [k.hex() for k in exported_keys]
    result["export"] = {"keys": exported_keys,
                        "values": to_json_rows(exported_values.numpy(), args.value_dtype)}
  return result


def main(argv=None):
  args = parse_args(sys.argv[1:] if argv is None else argv)
  # Upstream print()s notices at import time; keep stdout for the JSON alone.
  with contextlib.redirect_stdout(sys.stderr):
    result = read(args)
  sys.stdout.write(json.dumps(result) + "\n")
  return 0


if __name__ == "__main__":
  sys.exit(main())

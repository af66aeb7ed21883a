"""The tfra-redis command line: arguments in, one binding call, a view out.

Exit status: 0 done, 1 the command failed (the message names why), 2 bad
usage, 130 interrupted by Ctrl-C (the data is consistent; run the command
again to finish it).
"""

import argparse
import json
import re
import sys

from . import binding
from . import progress as progress_lib
from . import views

_SIZE_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kb": 10**3, "kib": 1 << 10,
               "m": 1 << 20, "mb": 10**6, "mib": 1 << 20, "g": 1 << 30,
               "gb": 10**9, "gib": 1 << 30}
_KEY_DTYPES = ("int32", "int64", "string")
_VALUE_DTYPES = ("float32", "float64", "int32", "int64", "int8", "float16",
                 "bfloat16", "bool", "string")


def _size(text):
  """"256MiB" -> 268435456."""
  match = re.fullmatch(r"\s*(\d+)\s*([a-zA-Z]*)\s*", text)
  if not match or match.group(2).lower() not in _SIZE_UNITS:
    raise argparse.ArgumentTypeError("not a size: %r (e.g. 256MiB)" % text)
  return int(match.group(1)) * _SIZE_UNITS[match.group(2).lower()]


def _common_options(parser, suppress):
  """--config, --config-env, --json; on the main parser and on each
  subcommand (so they may come before or after it)."""
  default = argparse.SUPPRESS if suppress else None
  parser.add_argument(
      "--config", default=default, metavar="FILE",
      help="the tables' JSON config (as for RedisTableConfig); the variable "
      "named by --config-env, then TFRA_REDIS_CONFIG_PATH, win over it, as "
      "for a table")
  parser.add_argument(
      "--config-env", default=default, metavar="NAME",
      help="name of an environment variable holding the config path (as "
      "redis_config_abs_dir_env)")
  parser.add_argument("--json", action="store_true",
                      default=argparse.SUPPRESS if suppress else False,
                      help="print the answer as JSON, for scripts")
  parser.add_argument("--no-progress", action="store_true",
                      default=argparse.SUPPRESS if suppress else False,
                      help="no progress bar or progress lines")


def _table_options(parser):
  parser.add_argument("table", help="the table (embedding) name")
  parser.add_argument("--tag", help="model tag (default: the config's "
                      "model_tag_runtime)")


def _schema_options(parser, what):
  parser.add_argument("--key-dtype", choices=_KEY_DTYPES,
                      help="key dtype, when the table's layout record has "
                      "none (%s)" % what)
  parser.add_argument("--value-dtype", choices=_VALUE_DTYPES)
  parser.add_argument("--dim", type=int)


def _parser():
  parser = argparse.ArgumentParser(
      prog="tfra-redis",
      description="Embedding tables of tensorflow_recommenders_addons in "
      "Redis: list, inspect, size, copy, re-bucket, back up. See "
      "docs/operations.md.")
  _common_options(parser, suppress=False)
  commands = parser.add_subparsers(dest="command", required=True,
                                   metavar="COMMAND")

  def add(name, help_text):
    sub = commands.add_parser(name, help=help_text, description=help_text)
    _common_options(sub, suppress=True)
    return sub

  sub = add("tables", "every table: dtypes, dim, encoding, buckets, rows, "
            "memory, TTL")
  sub.add_argument("--tag", help="only this model tag")

  sub = add("inspect", "a table's layout, buckets and nodes, and the rows of "
            "the given keys, decoded")
  _table_options(sub)
  sub.add_argument("keys", nargs="*", metavar="KEY",
                   help="keys to look up (integers, or text for string keys)")

  sub = add("plan", "memory per row and in total, measured on this Redis, and "
            "the storage_slice to use")
  sub.add_argument("--rows", type=int, required=True)
  sub.add_argument("--dim", type=int, required=True)
  sub.add_argument("--dtype", default="float32", choices=_VALUE_DTYPES[:-1])
  sub.add_argument("--masters", type=int, default=0,
                   help="masters to spread over (default: the deployment's)")
  sub.add_argument("--bucket-limit", type=_size, default=None,
                   help="largest bucket wanted (default 256MiB)")
  sub.add_argument("--sample-rows", type=int, default=None,
                   help="rows written to measure (default 10000)")

  sub = add("hot", "bucket size skew and buckets over the size limit, with "
            "the storage_slice that fixes them")
  sub.add_argument("table", nargs="?", help="one table (default: all)")
  sub.add_argument("--tag", help="model tag (default: all tags, or the "
                   "config's model_tag_runtime with TABLE)")
  sub.add_argument("--bucket-limit", type=_size, default=None)
  sub.add_argument("--top", type=int, default=5,
                   help="buckets shown per table")

  for name, verb in (("copy-tag", "copies"), ("rename-tag", "renames")):
    sub = add(name, "%s every table of model tag SRC to DST; interrupted, "
              "run it again" % verb)
    sub.add_argument("source", metavar="SRC")
    sub.add_argument("target", metavar="DST")

  sub = add("drop-tag", "deletes every table of a model tag")
  sub.add_argument("tag", metavar="TAG")
  sub.add_argument("--yes", action="store_true", help="do not ask")

  sub = add("expire-tag", "lets every table of a model tag expire after "
            "SECONDS (opening a table removes its TTL again)")
  sub.add_argument("tag", metavar="TAG")
  sub.add_argument("seconds", type=int, metavar="SECONDS")

  sub = add("rebucket", "moves a table's rows into N buckets ahead of time "
            "(what opening it with storage_slice N does)")
  _table_options(sub)
  sub.add_argument("--to", type=int, required=True, metavar="N")
  sub.add_argument("--key-dtype", choices=_KEY_DTYPES,
                   help="when the table's layout record has none")
  sub.add_argument("--using-hash", choices=("true", "false"),
                   help="a new using_hash_storage_slice (default: the "
                   "table's)")

  for name, direction in (("export", "to"), ("import", "from")):
    sub = add(name, "a table %s <DIR>/<name>-keys and -values (TFRA's "
              "key/value files; float32 rows also for tables with compact "
              "rows), streamed" % direction)
    _table_options(sub)
    sub.add_argument("dir", metavar="DIR")
    sub.add_argument("--file-name", help="default: the table name")
    sub.add_argument("--buffer-rows", type=int, default=None,
                     help="rows per write (default 16384)")
    _schema_options(sub, "TFRA 0.8 data, or import into a new table")
  return parser


def _confirm_drop(args):
  """True when the user agrees (or said --yes)."""
  if args.yes:
    return True
  answer = binding.run("tables", config=args.config,
                       config_env=args.config_env, tag=args.tag)
  found = answer["result"]["tables"]
  rows = sum(t["rows"] for t in found)
  memory = sum(t["memory_bytes"] for t in found)
  if not sys.stdin.isatty():
    sys.stderr.write("tfra-redis: drop-tag deletes %d tables (%s rows, %s); "
                     "pass --yes to confirm\n" %
                     (len(found), format(rows, ","), views.human_bytes(memory)))
    return False
  reply = input("Delete %d tables of model tag %r (%s rows, %s)? [y/N] " %
                (len(found), args.tag, format(rows, ","),
                 views.human_bytes(memory)))
  return reply.strip().lower() in ("y", "yes")


def _run(args, command, what=None, unit="rows", **arguments):
  """One binding call, with a progress display when `what` is given."""
  common = dict(config=args.config, config_env=args.config_env)
  if what is None:
    return binding.run(command, **common, **arguments)
  with progress_lib.Progress(what, unit, enabled=not args.no_progress) as bar:
    return binding.run(command, progress=bar, **common, **arguments)


def _schema(args):
  return dict(key_dtype=args.key_dtype, value_dtype=args.value_dtype,
              dim=args.dim)


def _summary(args, result):
  """One line for the commands that change data."""
  if args.command in ("copy-tag", "rename-tag"):
    return "%s %d tables of model tag %s to %s (%s rows copied, %d buckets " \
           "published)" % ("copied" if args.command == "copy-tag" else
                           "renamed", result["tables"], result["source"],
                           result["target"], format(result["rows"], ","),
                           result["buckets"])
  if args.command == "drop-tag":
    return "dropped %d tables of model tag %s (%d keys)" % (
        result["tables"], result["model_tag"], result["keys"])
  if args.command == "expire-tag":
    return "%d tables of model tag %s (%d keys) expire in %d s" % (
        result["tables"], result["model_tag"], result["keys"],
        result["seconds"])
  if args.command == "rebucket":
    return "re-bucketed %s from %d to %d buckets: %s of %s rows moved; set " \
           "storage_slice to %d%s in the table's config" % (
               args.table, result["from"], result["to"],
               format(result["rows_moved"], ","), format(result["rows"], ","),
               result["to"], " and using_hash_storage_slice to %s" %
               ("true" if result["using_hash"] else "false")
               if args.using_hash else "")
  verb = "exported" if args.command == "export" else "imported"
  return "%s %s rows %s %s-keys/-values" % (
      verb, format(result["rows"], ","),
      "to" if args.command == "export" else "from", result["path"])


def _dispatch(args):
  """The answer of the command `args` names, or None when declined."""
  c = args.command
  if c == "tables":
    return _run(args, "tables", tag=args.tag)
  if c == "inspect":
    return _run(args, "inspect", tag=args.tag, table=args.table, keys=args.keys)
  if c == "plan":
    return _run(args, "plan", rows=args.rows, dim=args.dim, dtype=args.dtype,
                masters=args.masters, bucket_limit=args.bucket_limit,
                sample_rows=args.sample_rows)
  if c == "hot":
    return _run(args, "hot", tag=args.tag, table=args.table,
                bucket_limit=args.bucket_limit)
  if c in ("copy-tag", "rename-tag"):
    return _run(args, c.replace("-", "_"), c,
                "rows" if c == "copy-tag" else "buckets",
                source=args.source, target=args.target)
  if c == "drop-tag":
    if not _confirm_drop(args):
      return None
    return _run(args, "drop_tag", "drop-tag", "keys", tag=args.tag)
  if c == "expire-tag":
    return _run(args, "expire_tag", tag=args.tag, seconds=args.seconds)
  if c == "rebucket":
    using_hash = None if args.using_hash is None else args.using_hash == "true"
    return _run(args, "rebucket", "rebucket", tag=args.tag, table=args.table,
                to=args.to, key_dtype=args.key_dtype, using_hash=using_hash)
  return _run(args, c, c, tag=args.tag, table=args.table, dir=args.dir,
              file_name=args.file_name, buffer_rows=args.buffer_rows,
              **_schema(args))


def _view(args, answer):
  if args.json:
    return json.dumps(answer, indent=1)
  if args.command == "hot":
    return views.hot(answer, args.top)
  view = getattr(views, args.command, None)
  if view is not None:
    return view(answer)
  return _summary(args, answer["result"])


def main(argv=None, out=None):
  """Runs tfra-redis with `argv` (default sys.argv[1:]); the exit status."""
  out = out or sys.stdout
  args = _parser().parse_args(argv)
  try:
    answer = _dispatch(args)
  except binding.AdminError as e:
    if e.code == "CANCELLED":
      sys.stderr.write("tfra-redis: %s interrupted; the data is consistent, "
                       "run the same command again to finish\n" % args.command)
      return 130
    sys.stderr.write("tfra-redis: %s\n" % e)
    return 1
  if answer is None:
    sys.stderr.write("tfra-redis: nothing done\n")
    return 1
  for warning in answer.get("warnings", []):
    sys.stderr.write("tfra-redis: warning: %s\n" % warning)
  out.write(_view(args, answer) + "\n")
  return 0

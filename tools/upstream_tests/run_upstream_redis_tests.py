"""Runs upstream TFRA's own Redis test files, unmodified, against this package.

Upstream's tests are not ours to copy into the repository, so this tool takes
them from a fetched snapshot of tensorflow/recommenders-addons at run time:

    .venv/bin/python tools/upstream_tests/run_upstream_redis_tests.py \\
        [--mirror GIT_DIR] [--rev HEAD] \\
        [--json OUT.json] [-k EXPR]

Steps: `git show <rev>:<path>` of redis_table_ops_test.py and
redis_table_variable_test.py into a temp dir; `bazel build` of the op library
(skipped with --so FILE); the Python package staged with that .so in the temp
dir (the source tree is not touched); then, per file, a fresh private
redis-server on 127.0.0.1:6379 (the tests hard-code it; both files use the same
table names and expect an empty server, which upstream's own `__main__` makes
with FLUSHALL) and pytest over that file with our interpreter; then one line
per test method and the totals. Servers and the temp dir are gone afterwards.

The whole run happens inside a private network namespace when the machine
allows one (netns.py): nothing the tests do leaves the machine, and the host's
6379 may be in use. Without one, the tool refuses when 6379 is taken and leaves
out test_unable_connect_to_redis, which sends a DNS query (--allow-dns runs it).

--installed tests the package installed in --python's environment instead (no
build, no staging), e.g. upstream TFRA 0.8.1 itself as the reference:

    TF_USE_LEGACY_KERAS=1 .venv/bin/python tools/upstream_tests/run_upstream_redis_tests.py \
        --installed --python ~/.cache/tfra081-venv/bin/python

Upstream's decorators run every method in graph mode, then in eager mode, each in
a `subTest`; pytest (>= 9) reports the two apart, and record_results_plugin.py
(copied next to the test files as conftest.py) records both. A method
passes only when both modes pass (or one passes and the other skips as upstream
intends, e.g. "skip eager test when using legacy Saver").
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, _REPO_ROOT)

# pylint: disable=wrong-import-position
from tools.upstream_tests import netns
from tools.upstream_tests import port_6379
from tools.upstream_tests import results as results_lib
from tools.upstream_tests import staged_package
# pylint: enable=wrong-import-position

_HERE = os.path.dirname(os.path.abspath(__file__))
# Where the fetched snapshot (a git dir) lies differs per machine.
MIRROR_ENV = "TFRA_UPSTREAM_MIRROR"
TEST_DIR = "tensorflow_recommenders_addons/dynamic_embedding/python/kernel_tests"
TEST_FILES = ("redis_table_ops_test.py", "redis_table_variable_test.py")
PYTEST_TIMEOUT_S = 3600
# Resolves "999.999.999.999" through the system's DNS resolver (traffic off loopback):
# run only inside a private network namespace, or with --allow-dns.
DNS_TEST = "redis_table_variable_test.py::RedisVariableTest::test_unable_connect_to_redis"


def extract_tests(mirror, rev, dest):
  """Writes the upstream test files of `rev` into `dest`; returns the commit."""
  for name in TEST_FILES:
    text = subprocess.run(["git", "-C", mirror, "show", f"{rev}:{TEST_DIR}/{name}"],
                          check=True, capture_output=True).stdout
    with open(os.path.join(dest, name), "wb") as f:
      f.write(text)
  return subprocess.run(["git", "-C", mirror, "rev-parse", rev], check=True,
                        capture_output=True, text=True).stdout.strip()


def run_pytest(python, tests_dir, test_file, pythonpath, options, records_path):
  """pytest over one extracted file; returns its exit code."""
  # As upstream's CI: CPU only. TF_CPP_MIN_LOG_LEVEL keeps TF's start-up noise out.
  env = dict(os.environ, UPSTREAM_TESTS_RESULTS=records_path, CUDA_VISIBLE_DEVICES="-1",
             TF_CPP_MIN_LOG_LEVEL="1")
  if pythonpath:
    env["PYTHONPATH"] = pythonpath
  args = [python, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--tb=no",
          "--rootdir", tests_dir, test_file] + options
  return subprocess.run(args, cwd=tests_dir, env=env, timeout=PYTEST_TIMEOUT_S,
                        check=False).returncode


def run_files(args, work, pythonpath, deselect):
  """Each test file against a fresh server; returns (worst exit code, records)."""
  tests_dir = os.path.join(work, "tests")
  shutil.copy(os.path.join(_HERE, "record_results_plugin.py"),
              os.path.join(tests_dir, "conftest.py"))
  options = (["-k", args.keyword] if args.keyword else []) + [
      arg for nodeid in deselect for arg in ("--deselect", nodeid)]
  code, records = 0, []
  for index, test_file in enumerate(TEST_FILES):
    records_path = os.path.join(work, f"records-{index}.json")
    with port_6379.private_redis(os.path.join(work, f"redis-{index}")):
      code = max(code, run_pytest(args.python, tests_dir, test_file, pythonpath, options,
                                  records_path))
    if os.path.exists(records_path):  # pytest wrote none if it could not start
      with open(records_path) as f:
        records += json.load(f)
  return code, records


def prepare(args, work):
  """Extracts the tests and stages the package; returns (commit, PYTHONPATH or None)."""
  if not args.mirror:
    sys.exit("no upstream snapshot: pass --mirror GIT_DIR or set $%s (a git dir of "
             "tensorflow/recommenders-addons)" % MIRROR_ENV)
  tests_dir = os.path.join(work, "tests")
  os.mkdir(tests_dir)
  commit = extract_tests(args.mirror, args.rev, tests_dir)
  if args.installed:
    return commit, None
  return commit, staged_package.stage(args.so, work)


def verdicts(args, work, records, deselect):
  tests_dir = os.path.join(work, "tests")
  methods = {name: results_lib.method_names(os.path.join(tests_dir, name))
             for name in TEST_FILES}
  results = results_lib.verdicts(records, methods)
  if args.keyword:  # Only what -k selected.
    results = {k: v for k, v in results.items() if v["verdict"] != "not run"}
  for nodeid in deselect:
    if nodeid in results:
      results[nodeid]["error"] = "left out: sends a DNS query (no network namespace)"
  return results


def parse_args(argv):
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--mirror", default=os.environ.get(MIRROR_ENV),
                      help="upstream git dir (default: $%s)" % MIRROR_ENV)
  parser.add_argument("--rev", default="HEAD")
  parser.add_argument("--python", default=os.path.join(_REPO_ROOT, ".venv", "bin", "python"))
  parser.add_argument("--so", help="the op library to test (default: bazel build it)")
  parser.add_argument("--installed", action="store_true",
                      help="test the package installed for --python (no build, no staging)")
  parser.add_argument("-k", dest="keyword", help="pytest -k expression")
  parser.add_argument("--json", help="also write the results as JSON here")
  parser.add_argument("--keep", action="store_true", help="keep the temp dir")
  parser.add_argument("--isolation", choices=("auto", "netns", "none"), default="auto",
                      help="run in a private network namespace (auto: when possible)")
  parser.add_argument("--allow-dns", action="store_true",
                      help="without a namespace, still run " + DNS_TEST.split("::")[-1])
  parser.add_argument("--in-netns", action="store_true", help=argparse.SUPPRESS)
  return parser.parse_args(argv)


def main(argv=None):
  args = parse_args(argv)
  if not args.installed and not args.so:
    args.so = staged_package.built_op_library()  # Bazel needs the host's network.
  if not args.in_netns and args.isolation != "none":
    if netns.available():
      inner = [sys.executable, os.path.abspath(__file__), "--in-netns"] + (
          ["--so", args.so] if args.so else [])
      return subprocess.run(netns.wrap(inner + _passed_on(argv)), check=False).returncode
    if args.isolation == "netns":
      sys.exit("cannot create a network namespace (unshare --net needs CAP_SYS_ADMIN)")
  deselect = [] if args.in_netns or args.allow_dns else [DNS_TEST]
  if deselect:
    print(f"leaving out {DNS_TEST}: it sends a DNS query (no network namespace; "
          "--allow-dns runs it)", file=sys.stderr)
  port_6379.refuse_if_taken()
  work = tempfile.mkdtemp(prefix="tfra-upstream-tests-")
  try:
    commit, pythonpath = prepare(args, work)
    code, records = run_files(args, work, pythonpath, deselect)
    results = verdicts(args, work, records, deselect)
  finally:
    if args.keep:
      print(f"kept {work}", file=sys.stderr)
    else:
      shutil.rmtree(work, ignore_errors=True)
  note = (" (installed package)" if args.installed else "") + (
      ", in a private network namespace" if args.in_netns else "")
  print(results_lib.report(results, commit, note))
  if args.json:
    with open(args.json, "w") as f:
      json.dump({"upstream_commit": commit, "note": note.strip(), "pytest_exit": code,
                 "tests": results, "records": records}, f, indent=1)
      f.write("\n")
  return 0 if code == 0 else 1


def _passed_on(argv):
  """The user's arguments minus --so (given explicitly to the inner run)."""
  argv = list(sys.argv[1:] if argv is None else argv)
  for i, arg in enumerate(argv):
    if arg == "--so":
      return argv[:i] + argv[i + 2:]
    if arg.startswith("--so="):
      return argv[:i] + argv[i + 1:]
  return argv


if __name__ == "__main__":
  sys.exit(main())

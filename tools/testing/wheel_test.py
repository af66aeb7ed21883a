"""The wheel, installed into a fresh virtualenv, works without the source tree.

Builds the wheel (`bazel build //:build_pip_pkg`, then the packaging step) or
takes the one named by $TFRA_WHEEL, then checks what a user gets from it:
the op library, the HMACCUM Redis module and no test files, a TensorFlow pin
matching the build, a manylinux tag from `auditwheel show` with only
libtensorflow_framework.so.2 left external, no newer than TensorFlow's own
(the symbol versions of the op library, the module and the tfra-redis
library, each checked by name), and, in a new virtualenv holding only
tensorflow-cpu and the wheel, an embedding round trip through a private Redis
server, `tfra-redis tables` listing it without importing TensorFlow, the
installed module loaded into redis-server and used by accum, plus a clear
error under another TensorFlow version.

Run by tools/testing/run_tests.sh after the Bazel tests (it needs Bazel and
PyPI, for tensorflow-cpu, so it is not a Bazel test itself):

    .venv/bin/python -m pytest -v tools/testing/wheel_test.py
"""

import json
import os
import re
import shlex
import subprocess
import sys
import textwrap
import zipfile

import pytest

_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, _REPO_ROOT)

from tools.testing import redis_servers  # pylint: disable=g-import-not-at-top,wrong-import-position

_TF_REQUIREMENT = "tensorflow-cpu==2.21.0"
_OP_LIBRARY = "tensorflow_recommenders_addons/dynamic_embedding/core/_redis_table_ops.so"
# tfra-redis: its C library (no TensorFlow inside) and its console script.
_ADMIN_LIBRARY = ("tensorflow_recommenders_addons/dynamic_embedding/"
                  "redis_admin/_redis_admin.so")
_CONSOLE_MODULE = "tfra_redis_cli.py"
_MODULE = ("tensorflow_recommenders_addons/dynamic_embedding/core/redis_module/"
           "hmaccum.so")
_TF_LIBRARY = "libtensorflow_framework.so.2"

# TensorFlow 2.21's own wheel tag: ours must install wherever it does.
_TF_PLATFORM = "manylinux_2_27"
# The newest symbol version _TF_PLATFORM lets a wheel need, per versioned
# library family (auditwheel's manylinux_2_27 policy). build_deps/manylinux
# keeps the op library within these when the build machine is newer.
_MAX_SYMBOL_VERSIONS = {
    "GLIBC": (2, 27),
    "GLIBCXX": (3, 4, 24),
    "CXXABI": (1, 3, 11),
    "GCC": (7, 0, 0),
}


def _run(args, **kwargs):
  """Runs `args`; on failure the assertion shows its output."""
  result = subprocess.run(args, capture_output=True, text=True, check=False,
                          **kwargs)
  assert result.returncode == 0, "%s failed (%d):\n%s\n%s" % (
      " ".join(args), result.returncode, result.stdout[-4000:],
      result.stderr[-4000:])
  return result


def _glibc_of(platform_tag):
  """(2, 27) for manylinux_2_27[_x86_64]."""
  match = re.match(r"manylinux_(\d+)_(\d+)", platform_tag)
  assert match, platform_tag
  return int(match.group(1)), int(match.group(2))


def _installed_tensorflow_platforms():
  """Platform tags of the installed TensorFlow's own wheel."""
  from importlib import metadata  # pylint: disable=g-import-not-at-top
  names = metadata.packages_distributions()["tensorflow"]
  wheel_file = metadata.distribution(names[0]).read_text("WHEEL")
  tags = re.findall(r"^Tag: \S+?-\S+?-(\S+)$", wheel_file, re.MULTILINE)
  return [p for tag in tags for p in tag.split(".")]


def _version_info():
  scope = {}
  with open(os.path.join(_REPO_ROOT, "tensorflow_recommenders_addons",
                         "version.py")) as source:
    exec(source.read(), scope)  # pylint: disable=exec-used
  return scope


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
  """Path of the wheel under test: $TFRA_WHEEL, or one built now."""
  given = os.environ.get("TFRA_WHEEL")
  if given:
    return os.path.abspath(given)
  out_dir = str(tmp_path_factory.mktemp("wheelhouse"))
  # BAZEL_FLAGS: extra flags, as for build_deps/build_pip_pkg.sh.
  _run(["bazel", "build"] + shlex.split(os.environ.get("BAZEL_FLAGS", "")) +
       ["//:build_pip_pkg"], cwd=_REPO_ROOT)
  built = _run([os.path.join(_REPO_ROOT, "bazel-bin", "build_pip_pkg"),
                out_dir], cwd=_REPO_ROOT)
  path = built.stdout.strip().splitlines()[-1]
  assert path.endswith(".whl") and os.path.isfile(path), built.stdout
  return path


@pytest.fixture(scope="module")
def venv_python(wheel, tmp_path_factory):
  """A fresh virtualenv with only tensorflow-cpu and the wheel installed."""
  venv = str(tmp_path_factory.mktemp("venv"))
  _run([sys.executable, "-m", "venv", "--clear", venv])
  python = os.path.join(venv, "bin", "python")
  _run([python, "-m", "pip", "install", "--quiet",
        "--disable-pip-version-check", _TF_REQUIREMENT, wheel])
  return python


def test_wheel_ships_the_op_library_the_module_and_no_tests(wheel):
  names = zipfile.ZipFile(wheel).namelist()
  assert _OP_LIBRARY in names
  assert _ADMIN_LIBRARY in names and _CONSOLE_MODULE in names
  entry_points = next(n for n in names if n.endswith("entry_points.txt"))
  assert "tfra-redis = tfra_redis_cli:main" in zipfile.ZipFile(wheel).read(
      entry_points).decode()
  assert _MODULE in names
  unwanted = [
      n for n in names
      if n.endswith("_test.py") or "/kernel_tests/" in n or
      n.endswith("conftest.py") or n.endswith("/BUILD") or n.endswith(".bzl")
  ]
  assert not unwanted


def test_metadata_pins_the_tensorflow_release_the_ops_were_built_for(wheel):
  with zipfile.ZipFile(wheel) as archive:
    metadata_name = next(n for n in archive.namelist()
                         if n.endswith(".dist-info/METADATA"))
    metadata = archive.read(metadata_name).decode()
  requires = re.findall(r"^Requires-Dist: (.*)$", metadata, re.MULTILINE)
  built_for = _version_info()["BUILT_FOR_TF_VERSION"]
  major, minor = (int(p) for p in built_for.split(".")[:2])
  tf_requirements = [r for r in requires if r.startswith("tensorflow")]
  assert len(tf_requirements) == 1, requires
  specifiers = set(re.sub(r"^[a-z-]+", "", tf_requirements[0]).split(","))
  assert specifiers == {">=%d.%d.0" % (major, minor),
                        "<%d.%d" % (major, minor + 1)}


def test_auditwheel_reports_a_manylinux_tag_with_only_tensorflow_external(
    wheel, tmp_path):
  shown = _run([sys.executable, "-m", "auditwheel", "show", "--json", wheel])
  report = json.loads(shown.stdout)
  # The symbol versions (glibc, libstdc++) allow a manylinux tag; the only
  # library outside the policy is TensorFlow's own, which the installed
  # TensorFlow provides. hiredis and json-parser are linked in statically.
  assert report["sym_tag"].startswith("manylinux_"), report
  assert set(report["external_libs"]) == {_TF_LIBRARY}, report
  assert report["sym_tag"] in os.path.basename(wheel)
  op_library = zipfile.ZipFile(wheel).extract(_OP_LIBRARY, str(tmp_path))
  needed = _run(["readelf", "-d", op_library]).stdout
  assert "hiredis" not in needed and "jsonparser" not in needed


def test_wheel_installs_wherever_tensorflow_installs(wheel):
  # The constant below names the target; this notices TensorFlow moving it.
  assert [p for p in _installed_tensorflow_platforms()
          if p.startswith("manylinux_")] == [_TF_PLATFORM + "_x86_64"]
  shown = _run([sys.executable, "-m", "auditwheel", "show", "--json", wheel])
  sym_tag = json.loads(shown.stdout)["sym_tag"]
  assert _glibc_of(sym_tag) <= _glibc_of(_TF_PLATFORM), sym_tag
  # The platform part of <name>-<version>-<python>-<abi>-<platform>.whl.
  platforms = os.path.basename(wheel)[:-len(".whl")].split("-")[-1].split(".")
  assert sym_tag in platforms
  assert all(_glibc_of(p) <= _glibc_of(_TF_PLATFORM) for p in platforms), (
      platforms)


def _required_symbol_versions(library):
  """{(symbol, family, version)} the library needs from shared libraries."""
  symbols = _run(["readelf", "--dyn-syms", "--wide", library]).stdout
  required = set()
  for line in symbols.splitlines():
    # "  12: 0000000000000000  0 FUNC  GLOBAL DEFAULT  UND pow@GLIBC_2.2.5 (3)"
    match = re.search(r"\sUND\s+(\S+?)@+([A-Z]+)_([0-9.]+)\b", line)
    if match:
      version = tuple(int(n) for n in match.group(3).split("."))
      required.add((match.group(1), match.group(2), version))
  return required


@pytest.mark.parametrize("library", [_OP_LIBRARY, _ADMIN_LIBRARY, _MODULE])
def test_no_library_needs_a_symbol_version_newer_than_tensorflows_tag(
    wheel, tmp_path, library):
  extracted = zipfile.ZipFile(wheel).extract(library, str(tmp_path))
  required = _required_symbol_versions(extracted)
  # The op and tfra-redis libraries need libstdc++; the module libc alone.
  families = {"GLIBC"} if library == _MODULE else {"GLIBC", "GLIBCXX"}
  assert {family for _, family, _ in required} >= families
  too_new = sorted(
      "%s@%s_%s (%s allows %s_%s)" %
      (symbol, family, ".".join(map(str, version)), _TF_PLATFORM, family,
       ".".join(map(str, _MAX_SYMBOL_VERSIONS[family])))
      for symbol, family, version in required
      if family in _MAX_SYMBOL_VERSIONS and
      version > _MAX_SYMBOL_VERSIONS[family])
  unknown = {family for _, family, _ in required} - set(_MAX_SYMBOL_VERSIONS)
  assert not too_new, "wrap or avoid (build_deps/manylinux): " + ", ".join(
      too_new)
  assert not unknown, unknown


def test_module_needs_libc_alone_and_exports_only_its_entry_point(
    wheel, tmp_path):
  module = zipfile.ZipFile(wheel).extract(_MODULE, str(tmp_path))
  dynamic = _run(["readelf", "-d", module]).stdout
  assert re.findall(r"\(NEEDED\).*\[(.*)\]", dynamic) == ["libc.so.6"]
  exported = _run(["readelf", "--dyn-syms", "--wide", module]).stdout
  defined = {line.split()[-1] for line in exported.splitlines()
             if re.search(r"\sGLOBAL\s+DEFAULT\s+\d+\s", line)}
  assert defined == {"RedisModule_OnLoad"}, defined


_ROUND_TRIP = textwrap.dedent("""\
    import json, sys
    import numpy as np
    import tensorflow as tf
    import tensorflow_recommenders_addons as tfra
    from tensorflow_recommenders_addons import dynamic_embedding as de

    creator = de.RedisTableCreator(
        de.RedisTableConfig(redis_config_abs_dir=sys.argv[1]))
    emb = de.get_variable("wheel_emb", key_dtype=tf.int64,
                          value_dtype=tf.float32, dim=4, initializer=-1.0,
                          kv_creator=creator)
    emb.upsert(tf.constant([1, 2, 3], tf.int64),
               tf.constant(np.arange(12, dtype=np.float32).reshape(3, 4)))
    values, exists = emb.lookup(tf.constant([1, 2, 3, 4], tf.int64),
                                return_exists=True)
    print(json.dumps({"module": tfra.__file__, "values": values.numpy().tolist(),
                      "exists": exists.numpy().tolist(),
                      "size": int(emb.size().numpy())}))
    """)


def test_installed_wheel_round_trips_embeddings_through_redis(
    venv_python, tmp_path):
  with redis_servers.standalone() as deployment:
    (port,) = deployment.node_ports()
    config = deployment.write_table_config(str(tmp_path / "redis.json"),
                                           table_store_mode=0)
    script = tmp_path / "round_trip.py"
    script.write_text(_ROUND_TRIP)
    # -I: no PYTHONPATH, no user site, no current directory: only the venv.
    result = _run([venv_python, "-I", str(script), config],
                  cwd=str(tmp_path))
    report = json.loads(result.stdout.strip().splitlines()[-1])
    venv_root = os.path.dirname(os.path.dirname(venv_python))
    assert report["module"].startswith(venv_root)
    assert report["values"] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11],
                                [-1, -1, -1, -1]]
    assert report["exists"] == [True, True, True, False]
    assert report["size"] == 3
    # The rows are in Redis under upstream's name: default model tag "test",
    # one bucket whose hash tag is {3560}.
    stored = deployment.redis_cli(port, "HLEN", "test:wheel_emb{3560}")
    assert stored.strip() == "3"


# Runs tfra-redis the way the console script does and says whether
# TensorFlow got imported on the way (it must not: `tables` answers in well
# under a second because of it).
_ADMIN_WITHOUT_TF = textwrap.dedent("""\
    import sys
    import tfra_redis_cli
    sys.argv = ["tfra-redis"] + sys.argv[1:]
    rc = tfra_redis_cli.main()
    sys.stderr.write("tensorflow imported: %s\\n" % ("tensorflow" in sys.modules))
    sys.exit(rc)
    """)


def test_installed_console_script_lists_the_tables_without_tensorflow(
    venv_python, tmp_path):
  bin_dir = os.path.dirname(venv_python)
  helped = _run([os.path.join(bin_dir, "tfra-redis"), "--help"])
  assert "copy-tag" in helped.stdout and "tables" in helped.stdout
  with redis_servers.standalone() as deployment:
    config = deployment.write_table_config(str(tmp_path / "redis.json"),
                                           table_store_mode=0)
    script = tmp_path / "round_trip.py"
    script.write_text(_ROUND_TRIP)
    _run([venv_python, "-I", str(script), config], cwd=str(tmp_path))
    listed = _run([os.path.join(bin_dir, "tfra-redis"), "tables", "--config",
                   config], cwd=str(tmp_path))
    assert re.search(r"test\s+wheel_emb\s+int64\s+float32\s+4\s+raw\s+1\s+3\s",
                     listed.stdout), listed.stdout
    admin = tmp_path / "admin_without_tf.py"
    admin.write_text(_ADMIN_WITHOUT_TF)
    quiet = _run([venv_python, "-I", str(admin), "tables", "--config", config],
                 cwd=str(tmp_path))
    assert "wheel_emb" in quiet.stdout
    assert "tensorflow imported: False" in quiet.stderr


_MODULE_PATH = textwrap.dedent("""\
    from tensorflow_recommenders_addons.dynamic_embedding.python.ops import redis_table_ops
    print(redis_table_ops.hmaccum_module_path())
    """)

_ACCUM = textwrap.dedent("""\
    import json, sys
    import tensorflow as tf
    from tensorflow_recommenders_addons import dynamic_embedding as de

    table = de.RedisTable(
        tf.int64, tf.float32, tf.zeros([2]), name="wheel_accum",
        config=de.RedisTableConfig(redis_config_abs_dir=sys.argv[1]))
    keys = tf.constant([1, 2], tf.int64)
    table.insert(keys, tf.ones([2, 2]))
    table.accum(keys, tf.fill([2, 2], 2.0), tf.constant([True, True]))
    print(json.dumps(table.lookup(keys).numpy().tolist()))
    """)


def test_installed_module_loads_into_redis_and_accum_uses_it(
    venv_python, tmp_path):
  script = tmp_path / "module_path.py"
  script.write_text(_MODULE_PATH)
  path = _run([venv_python, "-I", str(script)],
              cwd=str(tmp_path)).stdout.strip().splitlines()[-1]
  venv_root = os.path.dirname(os.path.dirname(venv_python))
  assert path.startswith(venv_root) and os.path.isfile(path), path
  with redis_servers.standalone(modules=[path]) as deployment:
    (port,) = deployment.node_ports()
    assert "BPV2" in deployment.redis_cli(port, "MODULE", "LIST")
    config = deployment.write_table_config(str(tmp_path / "redis.json"),
                                           table_store_mode=0)
    accum = tmp_path / "accum.py"
    accum.write_text(_ACCUM)
    result = _run([venv_python, "-I", str(accum), config], cwd=str(tmp_path))
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [[3, 3],
                                                                 [3, 3]]
    stats = deployment.redis_cli(port, "INFO", "commandstats")
    assert re.search(r"cmdstat_HMACCUM:calls=[1-9]", stats), stats


def test_import_under_another_tensorflow_names_both_versions(
    venv_python, tmp_path):
  fake = tmp_path / "fake_tf" / "tensorflow"
  fake.mkdir(parents=True)
  (fake / "__init__.py").write_text('__version__ = "2.20.0"\n')
  env = dict(os.environ, PYTHONPATH=str(fake.parent))
  result = subprocess.run(
      [venv_python, "-c", "import tensorflow_recommenders_addons"],
      capture_output=True, text=True, cwd=str(tmp_path), env=env, check=False)
  built_for = _version_info()["BUILT_FOR_TF_VERSION"]
  assert result.returncode != 0
  assert "ImportError" in result.stderr
  assert built_for in result.stderr and "2.20.0" in result.stderr
  assert "undefined symbol" not in result.stderr


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

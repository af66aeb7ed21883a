"""Records the Redis slot tables TFRA 0.8.1 writes per optimizer, and what this package writes.

    .venv/bin/python tools/compat/golden/make_slot_names.py [--cases a,b] [--out DIR] \\
        [--tfra081-python PY] [--so FILE]

For every case (an optimizer of one family: tf_keras "keras2", tf_keras legacy
"keras2_legacy", tf.compat.v1.train "tf1"; see cases()) the parent (no TensorFlow)
FLUSHes a private standalone Redis and runs slot_cases.py in a child:
1. upstream: the TFRA 0.8.1 virtualenv (tools/compat/ensure_tfra081_venv.sh), with
   TF_USE_LEGACY_KERAS=1 as upstream's demos run;
2. ours: this package (staged with its built op library) under TF 2.21 / Keras 3,
   first with the same call a user would make, then, if that fails, with the
   Keras 3 optimizer the case maps to.
It writes testdata/tfra081/slots_<case>.json (every Redis key and its rows, per
side) and slots_index.json (the table names per case, side by side). The
servers and temp dirs are gone afterwards. About 45 minutes for all cases on 2 shared
cores (two or three children per case, each starting TensorFlow).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

_HERE = os.path.dirname(os.path.abspath(__file__))
_COMPAT = os.path.dirname(_HERE)
_REPO_ROOT = os.path.dirname(os.path.dirname(_COMPAT))
if not __package__:
  sys.path.append(_REPO_ROOT)  # Run as a script: `tools` from the repository root.

# pylint: disable=wrong-import-position
from tools.compat import redis_keys
from tools.testing import redis_servers
from tools.upstream_tests import staged_package
# pylint: enable=wrong-import-position

DEFAULT_OUT = os.path.join(_REPO_ROOT, staged_package.PACKAGE, "dynamic_embedding", "python",
                           "kernel_tests", "testdata", "tfra081")
CHILD_TIMEOUT_S = 600
_LR = {"learning_rate": 0.1}


def _keras_cases(family):
  """(case suffix, class, kwargs) of the Keras optimizers upstream supports."""
  return [
      ("adam", "Adam", _LR), ("adam_amsgrad", "Adam", dict(_LR, amsgrad=True)),
      ("adagrad", "Adagrad", _LR), ("ftrl", "Ftrl", _LR), ("sgd", "SGD", _LR),
      ("sgd_momentum", "SGD", dict(_LR, momentum=0.9)), ("rmsprop", "RMSprop", _LR),
      ("rmsprop_momentum", "RMSprop", dict(_LR, momentum=0.9)),
      ("rmsprop_centered", "RMSprop", dict(_LR, centered=True)),
      ("adadelta", "Adadelta", {"learning_rate": 1.0}), ("adamax", "Adamax", _LR),
      ("nadam", "Nadam", _LR),
  ] if family.startswith("keras2") else []


# tf.compat.v1.train optimizer -> (kwargs, Keras 3 class it maps to, Keras 3 kwargs).
_TF1 = [
    ("gradient_descent", "GradientDescentOptimizer", {"learning_rate": 0.1}, "SGD", _LR),
    ("adagrad", "AdagradOptimizer", {"learning_rate": 0.1}, "Adagrad", _LR),
    ("adam", "AdamOptimizer", {"learning_rate": 0.1}, "Adam", _LR),
    ("ftrl", "FtrlOptimizer", {"learning_rate": 0.1}, "Ftrl", _LR),
    ("momentum", "MomentumOptimizer", {"learning_rate": 0.1, "momentum": 0.9}, "SGD",
     dict(_LR, momentum=0.9)),
    ("rmsprop", "RMSPropOptimizer", {"learning_rate": 0.1}, "RMSprop", _LR),
    ("rmsprop_centered", "RMSPropOptimizer", {"learning_rate": 0.1, "centered": True},
     "RMSprop", dict(_LR, centered=True)),
]


def cases():
  """{case: {"upstream": attempt, "keras3": attempt}}.

  An attempt is [family, optimizer class, kwargs], plus "layer" for the cases
  that train a `de.keras.layers.Embedding` with Model.fit instead of a lookup.
  """
  result = {}
  for family in ("keras2", "keras2_legacy"):
    for suffix, cls, kwargs in _keras_cases(family):
      result[f"{family}_{suffix}"] = {"upstream": [family, cls, kwargs],
                                      "keras3": ["keras3", cls, kwargs]}
  for family in ("keras2", "keras2_legacy"):  # The Keras layer names its own lookups.
    result[f"layer_{family}_adam"] = {"upstream": [family, "Adam", _LR, "layer"],
                                      "keras3": ["keras3", "Adam", _LR, "layer"]}
  for suffix, cls, kwargs, k3_cls, k3_kwargs in _TF1:
    result[f"tf1_{suffix}"] = {"upstream": ["tf1", cls, kwargs],
                               "keras3": ["keras3", k3_cls, k3_kwargs]}
  return result


class Runner:
  """Runs one attempt in a child of either virtualenv against the private server."""

  def __init__(self, deployment, workroot, pythons):
    self.deployment, self.workroot, self.pythons = deployment, workroot, pythons
    self.port = deployment.node_ports()[0]

  def attempt(self, name, side, attempt):
    workdir = tempfile.mkdtemp(prefix=f"{name}-{side}-", dir=self.workroot)
    config_path = self.deployment.write_table_config(
        os.path.join(workdir, "config.json"),
        model_lib_abs_dir=os.path.join(workdir, "model_lib") + "/")
    config = self.deployment.table_config(
        model_lib_abs_dir=os.path.join(workdir, "model_lib") + "/")
    env_path = os.path.join(workdir, "env.json")
    result_path = os.path.join(workdir, "result.json")
    with open(env_path, "w") as f:
      json.dump({"attempt": attempt, "config_path": config_path, "ports": [self.port],
                 "result_path": result_path}, f)
    python, extra_env = self.pythons[side]
    redis_keys.flush_all([self.port])
    proc = subprocess.run([python, os.path.join(_HERE, "slot_cases.py"), env_path],
                          env=dict(os.environ, **extra_env), capture_output=True,
                          encoding="utf-8", errors="replace", timeout=CHILD_TIMEOUT_S,
                          check=False)
    if proc.returncode != 0 or not os.path.exists(result_path):
      return {"family": attempt[0], "optimizer": attempt[1], "kwargs": attempt[2],
              "status": "crashed", "returncode": proc.returncode,
              "stderr_tail": proc.stderr[-3000:].splitlines()}, config
    with open(result_path) as f:
      result = json.load(f)
    return json.loads(json.dumps(result).replace(workdir, "$WORKDIR")), config


def table_names(result):
  """Readable names of the Redis keys a side wrote ([] when it did not train)."""
  return sorted(entry["name"] for entry in result.get("redis", {}).values())


_API = {False: "get_variable+embedding_lookup(name='lk')+DynamicEmbeddingOptimizer",
        True: "keras.layers.Embedding(name='emb')+Model.fit+DynamicEmbeddingOptimizer"}


def slot_mapping(upstream, ours):
  """{upstream table: [our tables holding byte-identical rows]} for the slot tables.

  Primary tables (no "_" after "emb") are left out; an empty list means no table of
  ours holds the same rows (other arithmetic, or ours did not train).
  """
  ours_tables = {e["name"]: e.get("fields") for e in ours.get("redis", {}).values()}
  mapping = {}
  for entry in upstream.get("redis", {}).values():
    if "_" not in entry["name"].split("{")[0][len("test:emb"):]:
      continue
    mapping[entry["name"]] = sorted(n for n, fields in ours_tables.items()
                                    if fields == entry.get("fields"))
  return mapping


def run_case(runner, name, spec):
  upstream, config = runner.attempt(name, "upstream", spec["upstream"])
  ours_attempts = []
  first, _ = runner.attempt(name, "ours", spec["upstream"])
  ours_attempts.append(first)
  if first["status"] != "ok":
    second, _ = runner.attempt(name, "ours", spec["keras3"])
    ours_attempts.append(second)
  config = dict(config, redis_host_port=["$PORT"], model_lib_abs_dir="$WORKDIR/model_lib/")
  setups = [attempt.pop("setup", None) for attempt in [upstream] + ours_attempts]
  setup = next((s for s in setups if s), {})  # The same in every child that ran.
  record = {
      "case": name, "deployment": "standalone", "kind": "slots", "status": upstream["status"],
      "config": config, "api": _API[spec["upstream"][3:] == ["layer"]], **setup,
      "optimizer": spec["upstream"][:3], "upstream": upstream,
      "ours": {"attempts": ours_attempts},
      "slot_tables": {"upstream": table_names(upstream),
                      "ours": table_names(ours_attempts[-1]),
                      "ours_via": ours_attempts[-1]["family"],
                      "same_rows": slot_mapping(upstream, ours_attempts[-1]),
                      "ours_user_call": first["status"] if first["status"] == "ok"
                                        else first.get("error", "crashed")},
  }
  return record


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--out", default=os.path.normpath(DEFAULT_OUT))
  parser.add_argument("--cases", default="", help="comma-separated case names (default: all)")
  parser.add_argument("--tfra081-python", help="default: ensure_tfra081_venv.sh's python")
  parser.add_argument("--ours-python", default=os.path.join(_REPO_ROOT, ".venv", "bin", "python"))
  parser.add_argument("--so", help="our op library (default: bazel build it)")
  args = parser.parse_args()
  all_cases = cases()
  wanted = [c for c in args.cases.split(",") if c] or list(all_cases)
  tfra081_python = args.tfra081_python or subprocess.run(
      ["bash", os.path.join(_COMPAT, "ensure_tfra081_venv.sh")], check=True,
      capture_output=True, text=True).stdout.strip()
  so_path = args.so or staged_package.built_op_library()
  os.makedirs(args.out, exist_ok=True)
  workroot = tempfile.mkdtemp(prefix="tfra-slot-names-")
  summary = {}
  try:
    stage = staged_package.stage(so_path, workroot)
    # Upstream runs on tf_keras (as its demos did on TF 2.16), ours on Keras 3.
    pythons = {"upstream": (tfra081_python, {"TF_USE_LEGACY_KERAS": "1", "PYTHONPATH": ""}),
               "ours": (args.ours_python, {"TF_USE_LEGACY_KERAS": "0", "PYTHONPATH": stage})}
    with redis_servers.standalone() as deployment:
      runner = Runner(deployment, workroot, pythons)
      for name in wanted:
        record = run_case(runner, name, all_cases[name])
        text = json.dumps(record, indent=1)  # Tracebacks name local paths.
        text = text.replace(workroot, "$WORKROOT").replace(_REPO_ROOT, "$REPO")
        with open(os.path.join(args.out, f"slots_{name}.json"), "w") as f:
          f.write(text + "\n")
        summary[name] = record["slot_tables"]
        print(name, json.dumps(summary[name]), flush=True)
  finally:
    shutil.rmtree(workroot, ignore_errors=True)
  index_path = os.path.join(args.out, "slots_index.json")
  old = {}
  if os.path.exists(index_path) and args.cases:
    with open(index_path) as f:
      old = json.load(f)
  old.update(summary)
  with open(index_path, "w") as f:
    json.dump(dict(sorted(old.items())), f, indent=1)
    f.write("\n")
  return 0


if __name__ == "__main__":
  sys.exit(main())

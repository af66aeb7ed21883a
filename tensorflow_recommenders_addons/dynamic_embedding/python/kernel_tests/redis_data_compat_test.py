"""Data written by upstream TFRA 0.8.1 reads back exactly in ours, and ours
writes the same bytes where the layouts agree.

The golden files in testdata/tfra081/ were recorded from the real upstream
0.8.1 wheel by tools/compat/make_tfra081_golden.py: every Redis key it wrote,
with raw field and value bytes. Each test loads such a dump into a private
deployment of the same kind (a 3-master cluster has the same slot ranges as
the recording), opens the table with our RedisTable, and compares.
"""

import glob
import json
import os
import sys

import numpy as np
import pytest
import tensorflow as tf

from tensorflow_recommenders_addons.dynamic_embedding.python.ops import dynamic_embedding_creator as creator
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import redis_table_ops
from tools.compat import resp_client
from tools.testing import redis_servers

_GOLDEN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "testdata", "tfra081")
# Cases recorded from plain inserts (not checkpoints, slot tables, or the
# re-bucketing runs upstream corrupts; see testdata/tfra081/README.md).
_SKIPPED_PREFIXES = ("h_", "i_", "j_", "m_")


def _cases():
  cases = []
  for path in sorted(glob.glob(os.path.join(_GOLDEN_DIR, "*.json"))):
    name = os.path.basename(path)[:-5]
    if name == "index" or name.startswith(_SKIPPED_PREFIXES):
      continue
    with open(path) as f:
      case = json.load(f)
    if case.get("kind") == "insert" and case.get("status") == "ok":
      cases.append(pytest.param(case, id=name))
  return cases


@pytest.fixture(scope="module")
def deployments():
  with redis_servers.standalone() as standalone:
    with redis_servers.cluster(masters=3, replicas_per_master=0) as cluster:
      yield {"standalone": standalone, "cluster": cluster}


def _master_ports(deployment):
  return [n["port"] for n in deployment.describe()["nodes"]
          if n["role"] == "master"]


def _run(ports, *args):
  """Runs a command on the node serving its key (follows MOVED)."""
  port = ports[0]
  for _ in range(3):
    with resp_client.RespClient(port) as client:
      try:
        return client.command(*args)
      except resp_client.RespError as error:
        text = str(error)
        if not text.startswith("MOVED"):
          raise
        port = int(text.split()[-1].rsplit(":", 1)[1])
  raise AssertionError("too many redirections for %r" % (args[:2],))


def _flush(ports):
  for port in ports:
    with resp_client.RespClient(port) as client:
      client.command("FLUSHALL")


def _load_dump(ports, case):
  for key_hex, entry in case["redis"].items():
    assert entry["type"] == "hash", entry
    for field_hex, value_hex in entry["fields"].items():
      _run(ports, "HSET", bytes.fromhex(key_hex), bytes.fromhex(field_hex),
           bytes.fromhex(value_hex))


def _dump_tables(ports):
  """{key: {field: value}} of every hash but our layout records."""
  dump = {}
  for port in ports:
    with resp_client.RespClient(port) as client:
      for key in client.command("KEYS", "*"):
        if key.endswith(b"{tfra_layout}"):
          continue
        flat = client.command("HGETALL", key)
        dump[key] = dict(zip(flat[0::2], flat[1::2]))
  return dump


def _config_file(case, ports, tmp_path):
  config = dict(case["config"])
  config["redis_host_ip"] = ["127.0.0.1"] * len(ports)
  config["redis_host_port"] = ports
  config["model_lib_abs_dir"] = str(tmp_path / "model_lib") + "/"
  config["table_store_mode"] = 2
  path = tmp_path / "config.json"
  path.write_text(json.dumps(config))
  return str(path)


def _keys_and_values(case):
  key_dtype = tf.as_dtype(case["key_dtype"])
  value_dtype = tf.as_dtype(case["value_dtype"])
  raw_keys = [k for k, _ in case["inserted"]]
  if key_dtype == tf.string:
    keys = tf.constant([bytes.fromhex(k) for k in raw_keys])
  else:
    keys = tf.constant(raw_keys, key_dtype)
  rows = [v for _, v in case["inserted"]]
  if value_dtype == tf.string:
    values = tf.constant([[bytes.fromhex(x) for x in row] for row in rows])
  else:
    values = tf.constant(np.array(rows), value_dtype)
  return keys, values


def _table(case, config_path):
  value_dtype = tf.as_dtype(case["value_dtype"])
  default = (tf.constant([b""] * case["dim"]) if value_dtype == tf.string
             else tf.zeros([case["dim"]], value_dtype))
  return redis_table_ops.RedisTable(
      tf.as_dtype(case["key_dtype"]), value_dtype, default,
      name=case["embedding_name"],
      config=creator.RedisTableConfig(redis_config_abs_dir=config_path))


@pytest.mark.parametrize("case", _cases())
def test_upstream_data_reads_back_exactly(case, deployments, tmp_path):
  ports = _master_ports(deployments[case["deployment"]])
  _flush(ports)
  _load_dump(ports, case)
  table = _table(case, _config_file(case, ports, tmp_path))
  keys, values = _keys_and_values(case)
  found, exists = table.lookup(keys, return_exists=True)
  assert exists.numpy().all()
  np.testing.assert_array_equal(found.numpy(), values.numpy())
  assert table.size().numpy() == len(case["inserted"])


def _same_layout_as_upstream(case):
  """Upstream buckets keys only in Cluster mode, and string keys by their
  in-memory object; where neither applies our bytes must be identical."""
  one_bucket = case["config"].get("storage_slice", 1) == 1
  numeric = case["key_dtype"] != "string"
  return one_bucket or (case["deployment"] == "cluster" and numeric)


@pytest.mark.parametrize(
    "case", [c for c in _cases() if _same_layout_as_upstream(c.values[0])])
def test_ours_writes_the_bytes_upstream_wrote(case, deployments, tmp_path):
  ports = _master_ports(deployments[case["deployment"]])
  _flush(ports)
  table = _table(case, _config_file(case, ports, tmp_path))
  keys, values = _keys_and_values(case)
  table.insert(keys, values)
  golden = {
      bytes.fromhex(k): {bytes.fromhex(f): bytes.fromhex(v)
                         for f, v in e["fields"].items()}
      for k, e in case["redis"].items() if e["fields"]
  }
  assert _dump_tables(ports) == golden


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

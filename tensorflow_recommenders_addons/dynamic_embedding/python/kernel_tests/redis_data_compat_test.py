"""Data written by upstream TFRA 0.8.1 reads back exactly in ours, and ours
writes the same bytes where the layouts agree.

The golden files in testdata/tfra081/ were recorded from the real upstream
0.8.1 wheel by tools/compat/golden/make_redis_golden.py: every Redis key it wrote,
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

from tensorflow_recommenders_addons.dynamic_embedding.python.ops import creator_options
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import redis_table_ops
from tools.compat import redis_keys
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


def _dump_tables(ports):
  """{key: {field: value}} of every hash but our layout records."""
  return {
      bytes.fromhex(key): {bytes.fromhex(f): bytes.fromhex(v)
                           for f, v in entry["fields"].items()}
      for key, entry in redis_keys.dump_keys(ports).items()
      if not bytes.fromhex(key).endswith(b"{tfra_layout}")
  }


def _config_file(case, deployment, tmp_path):
  """The recorded config, pointed at `deployment`, with rows kept in Redis."""
  config = dict(case["config"], **deployment.table_config(
      model_lib_abs_dir=str(tmp_path / "model_lib") + "/", table_store_mode=2))
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
      config=creator_options.RedisTableConfig(redis_config_abs_dir=config_path))


@pytest.mark.parametrize("case", _cases())
def test_upstream_data_reads_back_exactly(case, deployments, tmp_path):
  deployment = deployments[case["deployment"]]
  ports = deployment.node_ports("master")
  redis_keys.flush_all(ports)
  assert {e["type"] for e in case["redis"].values()} == {"hash"}
  redis_keys.load_hashes(ports, case["redis"])
  table = _table(case, _config_file(case, deployment, tmp_path))
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
  deployment = deployments[case["deployment"]]
  ports = deployment.node_ports("master")
  redis_keys.flush_all(ports)
  table = _table(case, _config_file(case, deployment, tmp_path))
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

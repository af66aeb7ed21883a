"""Redis table ops land on the CPU of the worker a model is placed on.

The Redis ops have CPU kernels only. A model placed on a GPU (a `tf.device`
scope, or `devices=[".../GPU:0"]` for a variable) must still work, with every
table op on the CPU of the same worker, without the user pinning anything and
without relying on soft placement.

- Two tests run everywhere: one builds (does not run) a graph with a
  two-shard variable whose shards sit on the GPUs of two different workers,
  the other traces a tf.function in a GPU scope over an eagerly created table;
  both check the device every Redis op asks for.
- The runtime test needs a visible GPU: with soft placement off (so an op
  left on the GPU would fail for lack of a kernel) it runs the table ops
  eagerly and in a tf.function inside a GPU scope against a private Redis.
"""

import json
import sys

import numpy as np
import pytest
import tensorflow as tf

from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import dynamic_embedding_creator as creator
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.redis_table_ops import RedisTable

_WORKER_GPUS = ("/job:worker/replica:0/task:1/device:GPU:0",
                "/job:worker/replica:0/task:2/device:GPU:0")


def _redis_ops(graph):
  return [op for op in graph.get_operations() if op.type.startswith("TFRA>Redis")]


def test_graph_places_each_shards_redis_ops_on_its_workers_cpu(tmp_path):
  # Nothing runs, so the config only has to exist (no server is contacted).
  config_path = tmp_path / "redis.json"
  config_path.write_text(json.dumps({"redis_connection_mode": 2}))
  kv_creator = de.RedisTableCreator(
      creator.RedisTableConfig(redis_config_abs_dir=str(config_path)))
  graph = tf.Graph()
  with graph.as_default(), tf.device(_WORKER_GPUS[0]):
    emb = de.get_variable("placed", key_dtype=tf.int64, dim=4,
                          devices=list(_WORKER_GPUS), kv_creator=kv_creator)
    keys = tf.constant([1, 2, 3], tf.int64)
    emb.upsert(keys, tf.ones([3, 4]))
    emb.lookup(keys, return_exists=True)
    emb.remove(keys)
    emb.size()
  placed = _redis_ops(graph)
  assert {op.type for op in placed} >= {
      "TFRA>RedisTableOfTensors", "TFRA>RedisTableInsert",
      "TFRA>RedisTableFindWithExists", "TFRA>RedisTableRemove",
      "TFRA>RedisTableSize"}
  for op in placed:
    spec = tf.DeviceSpec.from_string(op.device)
    assert spec.device_type == "CPU", (op.name, op.device)
    assert spec.job == "worker" and spec.task in (1, 2), (op.name, op.device)
  # Each shard's ops stay with that shard's worker.
  for task, table in zip((1, 2), emb.tables):
    handle_spec = tf.DeviceSpec.from_string(table.resource_handle.op.device)
    assert (handle_spec.task, handle_spec.device_type) == (task, "CPU")


def test_function_traced_in_a_gpu_scope_asks_for_the_tables_cpu(
    standalone_setup):
  kv_creator = standalone_setup.creator()
  with tf.device("/GPU:0"):
    emb = de.get_variable("traced_on_gpu", key_dtype=tf.int64, dim=2,
                          devices=["/GPU:0"], kv_creator=kv_creator)

    @tf.function
    def lookup(keys):
      return emb.lookup(keys, return_exists=True)

    traced = lookup.get_concrete_function(tf.TensorSpec([None], tf.int64))
  handle = tf.DeviceSpec.from_string(emb.tables[0].resource_handle.device)
  assert handle.device_type == "CPU"
  placed = _redis_ops(traced.graph)
  assert [op.type for op in placed] == ["TFRA>RedisTableFindWithExists"]
  assert tf.DeviceSpec.from_string(placed[0].device) == handle


@pytest.fixture
def strict_gpu_placement():
  if not tf.config.list_physical_devices("GPU"):
    pytest.skip("no GPU visible: the runtime placement check needs one "
                "(test_graph_places_each_shards_redis_ops_on_its_workers_cpu "
                "covers placement without a GPU)")
  soft = tf.config.get_soft_device_placement()
  tf.config.set_soft_device_placement(False)
  yield
  tf.config.set_soft_device_placement(soft)


def test_table_ops_in_a_gpu_scope_run_on_this_workers_cpu(
    strict_gpu_placement, standalone_setup):
  del strict_gpu_placement  # Fixture: only its effect is needed.
  config = creator.RedisTableConfig(
      redis_config_abs_dir=standalone_setup.write_config())
  with tf.device("/GPU:0"):
    table = RedisTable(tf.int64, tf.float32, tf.zeros([3]), name="gpu_emb",
                       config=config, device="/GPU:0")
    keys = tf.constant([7, 8], tf.int64)
    rows = tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    table.insert(keys, rows)

    @tf.function
    def lookup(batch):
      return table.lookup(batch, return_exists=True)

    values, exists = lookup(tf.constant([7, 8, 9], tf.int64))
    size = table.size()
  handle_device = tf.DeviceSpec.from_string(table.resource_handle.device)
  assert handle_device.device_type == "CPU"
  output_device = tf.DeviceSpec.from_string(values.device)
  assert (handle_device.job, handle_device.task) == (output_device.job,
                                                     output_device.task)
  np.testing.assert_array_equal(values.numpy(),
                                [[1, 2, 3], [4, 5, 6], [0, 0, 0]])
  np.testing.assert_array_equal(exists.numpy(), [True, True, False])
  assert size.numpy() == 2


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

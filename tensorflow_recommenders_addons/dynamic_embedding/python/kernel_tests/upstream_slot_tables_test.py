"""Optimizer slot tables as TFRA 0.8.1 wrote them (testdata/tfra081/slots_*).

Bazel runs this file twice: under Keras 3 (`upstream_slot_tables_test`) and
under tf_keras (`upstream_slot_tables_keras2_test`, TF_USE_LEGACY_KERAS=1).
Each process takes the recorded cases whose optimizer family it has:
`keras2_*` (`tf.keras.optimizers.X`: Keras 3's X, or tf_keras's),
`keras2_legacy_*` (tf_keras only), `tf1_*` (a TF1 graph and Session) and the
Keras layer cases. For each:

1. The same training (the recorder's own, tools/compat/golden/slot_cases.py)
   writes the same Redis keys as upstream, with the same losses and rows.
2. A job resumed on upstream's Redis data continues from the stored slot
   rows: one more step here equals one step of the same optimizer on a dense
   variable whose slots hold upstream's rows (and differs from a start with
   fresh slots).
"""

import json
import os
import struct
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import slot_variables
from tools.compat import redis_keys
from tools.compat.golden import slot_cases
from tools.testing import redis_servers

_GOLDEN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "testdata", "tfra081")
_KERAS2 = not issubclass(tf.keras.layers.Layer, keras.layers.Layer)

# Keys upstream wrote that Keras 3 does not: tf_keras's SGD made an `m`
# table even without momentum; Keras 3's SGD has no slot then
# (docs/compatibility.md).
_KERAS3_ABSENT = {"keras2_sgd": {"test:emb_lk_m{3560}"}}
# Cases whose upstream numbers are upstream's quirk, not the optimizer's:
# with tf_keras's current Adagrad and Ftrl, upstream started accumulators at
# 0 instead of initial_accumulator_value (testdata/tfra081/slots_README.md).
_UPSTREAM_QUIRK = {"keras2_adagrad", "keras2_ftrl"}
# tf_keras's SGD without momentum keeps an `m` it never reads.
_SLOTS_UNUSED = {"keras2_sgd"}


def _load_cases():
  with open(os.path.join(_GOLDEN_DIR, "slots_index.json")) as f:
    names = sorted(json.load(f))
  cases = []
  for name in names:
    with open(os.path.join(_GOLDEN_DIR, "slots_%s.json" % name)) as f:
      case = json.load(f)
    if case["optimizer"][0] == "keras2_legacy" and not _KERAS2:
      continue  # Keras 3 has no legacy optimizers: the keras2 target runs it.
    cases.append(pytest.param(case, id=name))
  return cases


_CASES = _load_cases()
_RESUMABLE = [c for c in _CASES if not c.id.startswith("layer_")]


@pytest.fixture(scope="module")
def server():
  with redis_servers.standalone() as deployment:
    yield deployment


@pytest.fixture
def config_path(server, tmp_path):
  """The case's recorded config, pointed at the private server, empty."""
  redis_keys.flush_all(server.node_ports("master"))
  keras.backend.clear_session()
  tf.keras.backend.clear_session()
  path = tmp_path / "redis.json"
  config = {"redis_connection_mode": 2, "redis_host_ip": ["127.0.0.1"],
            "redis_host_port": [server.node_ports("master")[0]],
            "model_lib_abs_dir": str(tmp_path) + "/"}
  path.write_text(json.dumps(config))
  return str(path)


def _tables(dump):
  """{table key name: {int64 key: float32 row}} of a `dump_keys` dump, layout
  records left out."""
  tables = {}
  for entry in dump.values():
    if entry["name"].endswith("{tfra_layout}"):
      continue
    tables[entry["name"]] = {
        struct.unpack("<q", bytes.fromhex(k))[0]:
        np.frombuffer(bytes.fromhex(v), np.float32)
        for k, v in entry["fields"].items()
    }
  return tables


def _slot_tables(case, tables):
  """{slot name: [rows in trained-key order]} of the slot tables
  (`test:emb_<lookup or optimizer name>_<slot>{3560}`)."""
  slots = {}
  for name, rows in tables.items():
    if not name.startswith("test:emb_"):
      continue
    slot = name[len("test:emb_"):-len("{3560}")].split("_", 1)[1]
    slots[slot] = np.stack([rows[k] for k in case["trained_keys"]])
  return slots


@pytest.mark.parametrize("case", _CASES)
def test_training_writes_the_tables_upstream_wrote(case, server, config_path):
  family, class_name, kwargs = case["optimizer"]
  train = slot_cases.train_graph if family == "tf1" else slot_cases.train_eager
  if case["case"].startswith("layer_"):
    train = slot_cases.train_layer
  ports = server.node_ports("master")
  ours = train(config_path, ports, family, class_name, kwargs)
  upstream = case["upstream"]

  expected = set(case["slot_tables"]["upstream"])
  if not _KERAS2:
    expected -= _KERAS3_ABSENT.get(case["case"], set())
  ours_tables = _tables(ours["redis"])
  assert set(ours_tables) == expected
  main_table = "test:%s{3560}" % ours.get("variable_name", "emb")
  assert {"test:%s{3560}" % s.replace("/", "_")
          for s in ours["slot_variables"]} == expected - {main_table}
  if case["case"] in _UPSTREAM_QUIRK:
    return
  np.testing.assert_allclose(ours["losses"], upstream["losses"], rtol=2e-3)
  upstream_tables = _tables(upstream["redis"])
  for name in expected:
    for key, row in upstream_tables[name].items():
      np.testing.assert_allclose(ours_tables[name][key], row, rtol=2e-3,
                                 atol=1e-5, err_msg="%s[%d]" % (name, key))


def _our_step(case, config_path):
  """One training step of ours over the trained keys; returns the Redis
  tables afterwards."""
  family, class_name, kwargs = case["optimizer"]
  creator = de.RedisTableCreator(
      de.RedisTableConfig(redis_config_abs_dir=config_path))
  target = [case["target"]]
  if family == "tf1":
    with tf.Graph().as_default():
      var = de.get_variable("emb", dim=4, initializer=0.5, kv_creator=creator)
      emb = de.embedding_lookup(
          var, tf.constant(case["trained_keys"], tf.int64), name="lk")
      optimizer = de.DynamicEmbeddingOptimizer(
          slot_cases.make_optimizer(family, class_name, kwargs))
      train_op = optimizer.minimize(tf.reduce_sum(tf.square(emb - target)))
      with tf.compat.v1.Session() as sess:
        sess.run(tf.compat.v1.global_variables_initializer())
        sess.run(train_op)
    return
  var = de.get_variable("emb", dim=4, initializer=0.5, kv_creator=creator)
  optimizer = de.DynamicEmbeddingOptimizer(
      slot_cases.make_optimizer(family, class_name, kwargs))
  with tf.GradientTape() as tape:
    emb, trainable = de.embedding_lookup(
        var, tf.constant(case["trained_keys"], tf.int64), name="lk",
        return_trainable=True)
    loss = tf.reduce_sum(tf.square(emb - target))
  optimizer.apply_gradients(zip(tape.gradient(loss, [trainable]), [trainable]))


def _dense_step(case, rows, slots):
  """The same optimizer's step on a dense variable holding `rows`, its slots
  holding `slots` ({upstream slot name: rows}); returns (rows, slots)."""
  family, class_name, kwargs = case["optimizer"]
  target = [case["target"]]
  optimizer = slot_cases.make_optimizer(family, class_name, kwargs)
  if family == "tf1":
    with tf.Graph().as_default():
      var = tf.compat.v1.get_variable("ref", initializer=rows,
                                      use_resource=True)
      train_op = optimizer.minimize(tf.reduce_sum(tf.square(var - target)))
      with tf.compat.v1.Session() as sess:
        sess.run(tf.compat.v1.global_variables_initializer())
        for name, value in slots.items():
          optimizer.get_slot(var, name).load(value, sess)
        sess.run(train_op)
        return sess.run(var), {name: sess.run(optimizer.get_slot(var, name))
                               for name in slots}
  var = tf.Variable(rows)
  made = _slots_made_by(optimizer, var)
  for name, value in slots.items():
    made[name].assign(value)
  with tf.GradientTape() as tape:
    loss = tf.reduce_sum(tf.square(var - target))
  optimizer.apply_gradients(zip(tape.gradient(loss, [var]), [var]))
  return var.numpy(), {name: made[name].numpy() for name in slots}


def _slots_made_by(optimizer, var):
  """Builds `optimizer` for `var`; returns {upstream slot name: variable}."""
  if hasattr(optimizer, "add_slot"):  # OptimizerV2
    optimizer._create_all_weights([var])  # pylint: disable=protected-access
    return {n: optimizer.get_slot(var, n) for n in optimizer.get_slot_names()}
  made = {}
  original = optimizer.add_variable_from_reference

  def record(*args, **kwargs):
    slot = original(*args, **kwargs)
    name = kwargs.get("name", kwargs.get("variable_name"))
    name = name if name is not None else args[1]
    if isinstance(optimizer, keras.optimizers.Optimizer):
      name = slot_variables.keras3_slot_name(optimizer, name)
    made[name] = slot
    return slot

  optimizer.add_variable_from_reference = record
  optimizer.build([var])
  return made


@pytest.mark.parametrize("case", _RESUMABLE)
def test_a_resumed_job_continues_from_upstreams_slot_rows(case, server,
                                                          config_path):
  ports = server.node_ports("master")
  redis_keys.load_hashes(ports, case["upstream"]["redis"])
  upstream_tables = _tables(case["upstream"]["redis"])
  rows = np.stack([upstream_tables["test:emb{3560}"][k]
                   for k in case["trained_keys"]])
  stored_slots = _slot_tables(case, upstream_tables)
  # Tables Keras 3 does not use stay as they were.
  unused = set() if _KERAS2 else {
      name[len("test:emb_lk_"):-len("{3560}")]
      for name in _KERAS3_ABSENT.get(case["case"], ())}

  _our_step(case, config_path)

  expected_rows, expected_slots = _dense_step(
      case, rows, {k: v for k, v in stored_slots.items() if k not in unused})
  tables = _tables(redis_keys.dump_keys(ports))
  ours_rows = np.stack([tables["test:emb{3560}"][k]
                        for k in case["trained_keys"]])
  np.testing.assert_allclose(ours_rows, expected_rows, rtol=1e-5, atol=1e-6)
  ours_slots = _slot_tables(case, tables)
  for name in unused:
    np.testing.assert_array_equal(ours_slots.pop(name), stored_slots[name])
  assert set(ours_slots) == set(expected_slots)
  for name, value in expected_slots.items():
    np.testing.assert_allclose(ours_slots[name], value, rtol=1e-5, atol=1e-6,
                               err_msg=name)
  if expected_slots and case["case"] not in _SLOTS_UNUSED:
    # The check above could not pass by starting from fresh slots.
    fresh_rows, _ = _dense_step(case, rows, {})
    assert not np.allclose(fresh_rows, expected_rows, rtol=1e-5, atol=1e-6)


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

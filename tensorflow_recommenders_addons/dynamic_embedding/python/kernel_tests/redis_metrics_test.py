"""Metrics from Python (de.redis_metrics), and lookups that degrade on purpose
(`redis_read_failure_policy`) behind the circuit breaker, through the ops.
"""

import json
import os
import re
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import redis_table_ops
from tools.testing import redis_servers

metrics = de.redis_metrics


def _table(config_path, name="emb", dim=4):
  return redis_table_ops.RedisTable(
      tf.int64, tf.float32, tf.fill([dim], -1.0), name=name,
      config=de.RedisTableConfig(redis_config_abs_dir=config_path))


def _label(config_path, name="emb"):
  with open(config_path, encoding="utf-8") as f:
    return "%s:%s" % (json.load(f)["model_tag_runtime"], name)


def test_a_table_counts_its_calls_keys_misses_and_latency(standalone_setup):
  path = standalone_setup.write_config()
  label = _label(path)
  table = _table(path)
  before = metrics.snapshot()
  table.insert(tf.constant([1, 2, 3], tf.int64), tf.ones([3, 4]))
  table.lookup(tf.constant([1, 2, 3, 4, 5], tf.int64))
  snap = metrics.snapshot()
  assert label in snap.tables()
  assert snap.value("tfra_redis_table_calls_total", table=label, op="find") == 1
  assert snap.value("tfra_redis_table_keys_total", table=label, op="find") == 5
  assert snap.value("tfra_redis_table_keys_total", table=label,
                    op="insert") == 3
  assert snap.value("tfra_redis_table_misses_total", table=label) == 2
  assert snap.value("tfra_redis_table_degraded_rows_total", table=label) == 0
  assert snap.histogram("tfra_redis_table_latency_seconds", table=label,
                        op="find")["count"] == 1
  for name in ("tfra_redis_client_commands_total",
               "tfra_redis_client_sent_bytes_total",
               "tfra_redis_client_received_bytes_total"):
    assert snap.value(name) > before.value(name), name
  assert snap.help["tfra_redis_table_misses_total"]


_SAMPLE = re.compile(r'^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? '
                     r"[0-9.e+-]+$")


def test_prometheus_text_has_every_metric_with_cumulative_buckets(
    standalone_setup):
  path = standalone_setup.write_config()
  _table(path).lookup(tf.constant([7], tf.int64))
  snap = metrics.snapshot()
  text = metrics.prometheus_text(snap)
  assert text.endswith("\n")
  for line in text.splitlines():
    assert line.startswith("# HELP ") or line.startswith(
        "# TYPE ") or _SAMPLE.match(line), line
  assert "# TYPE tfra_redis_table_latency_seconds histogram" in text
  label = _label(path)
  buckets = [int(line.rsplit(" ", 1)[1]) for line in text.splitlines()
             if line.startswith("tfra_redis_table_latency_seconds_bucket") and
             'table="%s"' % label in line and 'op="find"' in line]
  assert buckets == sorted(buckets) and buckets[-1] == 1
  assert ('tfra_redis_table_calls_total{op="find",table="%s"} 1' % label
          in text)


def test_tensorboard_scalars_are_written(standalone_setup, tmp_path):
  path = standalone_setup.write_config()
  _table(path).lookup(tf.constant([7], tf.int64))
  writer = tf.summary.create_file_writer(str(tmp_path))
  written = metrics.write_tensorboard_scalars(step=3, writer=writer)
  writer.flush()
  tags, plugins = set(), set()
  for event_file in os.listdir(tmp_path):
    for event in tf.compat.v1.train.summary_iterator(
        os.path.join(tmp_path, event_file)):
      tags.update(value.tag for value in event.summary.value)
      plugins.update(value.metadata.plugin_data.plugin_name
                     for value in event.summary.value)
  assert plugins == {"scalars"}
  assert len(tags) == written
  label = _label(path)
  assert ("redis/tfra_redis_table_calls_total/op=find/table=%s" % label
          in tags)
  assert ("redis/tfra_redis_table_latency_seconds/op=find/table=%s/"
          "p99_seconds" % label in tags)


@pytest.fixture
def paused_standalone(tmp_path):
  """A standalone server of its own (the test pauses it), and a function
  writing a table config for it with a 300 ms socket timeout."""
  with redis_servers.standalone() as deployment:

    def write(**overrides):
      settings = dict(redis_socket_timeout=300, redis_connect_timeout=300,
                      model_tag_runtime="deg", model_tag_import="deg",
                      table_store_mode=2)
      settings.update(overrides)
      return deployment.write_table_config(
          str(tmp_path / ("c%d.json" % len(os.listdir(tmp_path)))), **settings)

    yield deployment, write
    deployment.resume_node(deployment.master_port())


def test_default_values_policy_serves_defaults_and_counts_the_rows(
    paused_standalone):
  deployment, write = paused_standalone
  path = write(redis_read_failure_policy="default_values")
  table = _table(path)
  table.insert(tf.constant([1, 2], tf.int64), tf.ones([2, 4]))
  label = _label(path)
  before = metrics.snapshot().value("tfra_redis_table_degraded_rows_total",
                                    table=label)
  deployment.pause_node(deployment.master_port())
  values, exists = table.lookup(tf.constant([1, 2, 3], tf.int64),
                                return_exists=True)
  np.testing.assert_array_equal(values.numpy(), np.full([3, 4], -1.0))
  assert exists.numpy().tolist() == [False, False, False]
  assert metrics.snapshot().value("tfra_redis_table_degraded_rows_total",
                                  table=label) == before + 3
  with pytest.raises(tf.errors.UnavailableError):
    table.insert(tf.constant([4], tf.int64), tf.ones([1, 4]))


def test_error_policy_fails_the_lookup(paused_standalone):
  deployment, write = paused_standalone
  table = _table(write())
  table.insert(tf.constant([1], tf.int64), tf.ones([1, 4]))
  deployment.pause_node(deployment.master_port())
  with pytest.raises(tf.errors.UnavailableError, match="timeout"):
    table.lookup(tf.constant([1], tf.int64))


def test_open_circuit_makes_degraded_lookups_fast(paused_standalone):
  deployment, write = paused_standalone
  path = write(redis_read_failure_policy="default_values",
               redis_circuit_breaker_failures=1,
               redis_circuit_breaker_cooldown=60000)
  table = _table(path)
  keys = tf.constant([1, 2], tf.int64)
  table.insert(keys, tf.ones([2, 4]))
  deployment.pause_node(deployment.master_port())
  table.lookup(keys)  # times out once: opens the circuit
  start = time.monotonic()
  for _ in range(20):
    np.testing.assert_array_equal(table.lookup(keys).numpy(),
                                  np.full([2, 4], -1.0))
  assert (time.monotonic() - start) / 20 < 0.05
  assert metrics.snapshot().value(
      "tfra_redis_client_breaker_rejections_total") >= 20


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

"""One task of parameter_server_strategy_test.py's local clusters (not a test).

    TF_CONFIG=... python -m ...kernel_tests.parameter_server_probe \\
        --probes NAME[,NAME...] [--config C]

Parameter servers and workers (task type "ps" / "worker") load the op
library and serve until killed. The chief builds a ParameterServerStrategy
with a ClusterCoordinator, runs the probes and prints one JSON line
`PROBE {name: what it saw, ...}`:

- `buffer_on_ps`: a variable of shape [None, 4] (a row buffer's shape: the
  row count changes every batch) made under the strategy's scope, read by a
  scheduled function. TensorFlow 2.21 aborts the worker that runs it (the
  chief only waits, so the test watches the workers).
- `per_worker_buffer`: the same buffer as a per-worker variable
  (`per_worker_variable=True`): it works, but is never trainable, and a
  scheduled function gets no gradient for it, even when the tape watches it.
- `table_placement`: a Redis table (config C) made by the coordinator; a
  scheduled function writes to it. Where the table's ops run.
"""

import argparse
import json
import sys

import tensorflow as tf

from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import redis_table_ops


def _serve(resolver):
  redis_table_ops.redis_table_ops.ops  # pylint: disable=pointless-statement
  server = tf.distribute.Server(resolver.cluster_spec(),
                                job_name=resolver.task_type,
                                task_index=resolver.task_id, start=True)
  server.join()


def _buffer_on_ps(strategy, coordinator, args):
  del args
  with strategy.scope():
    rows = tf.Variable(tf.zeros([1, 4]), shape=tf.TensorShape([None, 4]))
  step = tf.function(lambda: strategy.run(lambda: tf.reduce_sum(rows)))
  return {"sum": float(coordinator.schedule(step).fetch())}


def _per_worker_buffer(strategy, coordinator, args):
  del args
  with strategy.scope():
    rows = tf.Variable(tf.zeros([1, 4]), shape=tf.TensorShape([None, 4]),
                       trainable=True, per_worker_variable=True)

  def replica_fn():
    # The sum of what the assign returns: a later read of `rows` in the same
    # function saw the [1, 4] zeros it was made with now and then (1 run in
    # 4 under load, even behind an explicit control dependency).
    total = tf.reduce_sum(rows.assign(tf.ones([3, 4])))
    with tf.GradientTape() as tape:
      tape.watch(rows)
      loss = tf.reduce_sum(rows * 2.0)
    grad = tape.gradient(loss, rows)
    return total, tf.constant(grad is None)

  total, no_grad = coordinator.schedule(
      tf.function(lambda: strategy.run(replica_fn))).fetch()
  return {"trainable": rows.trainable, "sum": float(total),
          "gradient_is_none": bool(no_grad)}


def _table_placement(strategy, coordinator, args):
  creator = de.RedisTableCreator(
      de.RedisTableConfig(redis_config_abs_dir=args.config))
  with strategy.scope():
    var = de.get_variable("probe", dim=2, kv_creator=creator)

  def replica_fn():
    with tf.control_dependencies([
        var.upsert(tf.constant([1, 2], tf.int64), tf.ones([2, 2]))]):
      return tf.identity(var.size())

  size = coordinator.schedule(
      tf.function(lambda: strategy.run(replica_fn))).fetch()
  return {"table_device": var.tables[0].resource_handle.device,
          "size": int(size)}


_PROBES = {"buffer_on_ps": _buffer_on_ps,
           "per_worker_buffer": _per_worker_buffer,
           "table_placement": _table_placement}


def main(argv):
  parser = argparse.ArgumentParser()
  parser.add_argument("--probes", required=True)
  parser.add_argument("--config")
  args = parser.parse_args(argv)
  resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
  if resolver.task_type in ("ps", "worker"):
    _serve(resolver)
    return
  strategy = tf.distribute.experimental.ParameterServerStrategy(resolver)
  coordinator = tf.distribute.experimental.coordinator.ClusterCoordinator(
      strategy)
  result = {name: _PROBES[name](strategy, coordinator, args)
            for name in args.probes.split(",")}
  print("PROBE " + json.dumps(result), flush=True)


if __name__ == "__main__":
  main(sys.argv[1:])

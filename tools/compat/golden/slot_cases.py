"""Training cases for make_slot_names.py: one optimizer, a few steps, slots in Redis.

Runs in a child process, in either virtualenv:
- upstream: TFRA 0.8.1 + TF 2.16 + tf_keras (TF_USE_LEGACY_KERAS=1), families
  "keras2" (tf_keras.optimizers.X), "keras2_legacy" (tf_keras.optimizers.legacy.X)
  and "tf1" (tf.compat.v1.train.XOptimizer in a graph and Session);
- ours: this package + TF 2.21 + Keras 3: the same family is tried first (so the
  error a user gets today is recorded), then the Keras 3 optimizer the case maps
  to ("keras3"), whose slot tables are what this package writes today.

Every case: `de.get_variable("emb", int64 -> float32, dim 4, initializer 0.5)` with
a Redis creator, `embedding_lookup(..., name="lk")`, loss sum((emb - target)^2),
STEPS optimizer steps over the same ids (eager: a GradientTape loop and
apply_gradients; tf1: minimize(loss) in a graph, run by a Session); then the child
dumps every Redis key.

    python slot_cases.py ENV_JSON   (written by make_slot_names.py)
"""

import json
import os
import sys
import traceback

import numpy as np
import tensorflow as tf

# The repository root goes last: in the upstream venv, upstream's installed
# tensorflow_recommenders_addons must win over this checkout's.
sys.path.append(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))))
from tools.compat.redis_keys import dump_keys  # pylint: disable=wrong-import-position

KEYS = [1, 2, 3, -6, 2**32 + 7]
TARGET = [[0.1, -0.2, 0.3, -0.4]]
STEPS = 3
DIM = 4
INITIALIZER = 0.5
LOOKUP_NAME = "lk"


def _creator(config_path):
  import tensorflow_recommenders_addons.dynamic_embedding as de  # pylint: disable=import-outside-toplevel
  return de, de.RedisTableCreator(config=de.RedisTableConfig(redis_config_abs_dir=config_path))


def make_optimizer(family, class_name, kwargs):
  """The optimizer object of a family (raises what the package/Keras raise)."""
  if family == "tf1":
    return getattr(tf.compat.v1.train, class_name)(**kwargs)
  if family == "keras2":
    return getattr(tf.keras.optimizers, class_name)(**kwargs)
  if family == "keras2_legacy":
    return getattr(tf.keras.optimizers.legacy, class_name)(**kwargs)
  if family == "keras3":
    import keras  # pylint: disable=import-outside-toplevel
    return getattr(keras.optimizers, class_name)(**kwargs)
  raise ValueError(family)


def _slot_names(var, optimizer):
  """Names of the slot Variables of `var` (get_slot_variables: upstream's and ours)."""
  try:
    return sorted(slot.name for slot in var.get_slot_variables(optimizer))
  except Exception as e:  # pylint: disable=broad-except
    return [f"(get_slot_variables failed: {type(e).__name__}: {e})"[:300]]


def train_eager(config_path, ports, family, class_name, kwargs):
  de, creator = _creator(config_path)
  var = de.get_variable("emb", key_dtype=tf.int64, value_dtype=tf.float32, dim=DIM,
                        initializer=INITIALIZER, kv_creator=creator)
  optimizer = de.DynamicEmbeddingOptimizer(make_optimizer(family, class_name, kwargs))
  ids = tf.constant(KEYS, tf.int64)
  target = tf.constant(TARGET)
  losses = []
  # A GradientTape loop, as upstream's tutorial trains: runs under Keras 2 and 3 alike
  # (Keras 3 optimizers have no minimize()).
  for _ in range(STEPS):
    with tf.GradientTape() as tape:
      emb, trainable = de.embedding_lookup(var, ids, return_trainable=True, name=LOOKUP_NAME)
      loss = tf.reduce_sum(tf.square(emb - target))
    grads = tape.gradient(loss, [trainable])
    optimizer.apply_gradients(zip(grads, [trainable]))
    losses.append(float(loss.numpy()))
  values = var.lookup(ids).numpy()
  return {"losses": losses, "values": values.tolist(),
          "slot_variables": _slot_names(var, optimizer), "redis": dump_keys(ports)}


def train_graph(config_path, ports, family, class_name, kwargs):
  """tf.compat.v1 style: a graph, minimize(loss), a Session running STEPS train ops."""
  de, creator = _creator(config_path)
  with tf.Graph().as_default():
    var = de.get_variable("emb", key_dtype=tf.int64, value_dtype=tf.float32, dim=DIM,
                          initializer=INITIALIZER, kv_creator=creator)
    ids = tf.constant(KEYS, tf.int64)
    emb = de.embedding_lookup(var, ids, name=LOOKUP_NAME)
    loss = tf.reduce_sum(tf.square(emb - tf.constant(TARGET)))
    optimizer = de.DynamicEmbeddingOptimizer(make_optimizer(family, class_name, kwargs))
    train_op = optimizer.minimize(loss)
    lookup = var.lookup(ids)
    with tf.compat.v1.Session() as sess:
      sess.run(tf.compat.v1.global_variables_initializer())
      losses = []
      for _ in range(STEPS):
        losses.append(float(sess.run(loss)))
        sess.run(train_op)
      values = sess.run(lookup)
      # Dump while the Session still holds the tables (closing it sets TTLs upstream).
      return {"losses": losses, "values": np.asarray(values).tolist(),
              "slot_variables": _slot_names(var, optimizer),
              "redis": dump_keys(ports)}


def train_layer(config_path, ports, family, class_name, kwargs):
  """A Keras model around `de.keras.layers.Embedding(name="emb")`, trained by fit()."""
  de, creator = _creator(config_path)
  ids = tf.constant([[k] for k in KEYS], tf.int64)
  labels = tf.constant([[1.0]] * len(KEYS))
  inputs = tf.keras.Input(shape=(1,), dtype=tf.int64)
  layer = de.keras.layers.Embedding(DIM, initializer=tf.keras.initializers.Constant(INITIALIZER),
                                    name="emb", kv_creator=creator)
  hidden = tf.keras.layers.Flatten()(layer(inputs))
  outputs = tf.keras.layers.Dense(1, kernel_initializer="ones", use_bias=False)(hidden)
  model = tf.keras.Model(inputs, outputs)
  optimizer = de.DynamicEmbeddingOptimizer(make_optimizer(family, class_name, kwargs))
  model.compile(optimizer=optimizer, loss="mse")
  history = model.fit(ids, labels, batch_size=len(KEYS), epochs=STEPS, verbose=0)
  return {"losses": [float(x) for x in history.history["loss"]],
          "values": layer.params.lookup(tf.constant(KEYS, tf.int64)).numpy().tolist(),
          "variable_name": layer.params.name,
          "slot_variables": _slot_names(layer.params, optimizer), "redis": dump_keys(ports)}


def run(env):
  """One attempt: env["attempt"] = [family, optimizer class, kwargs(, "layer")]."""
  family, class_name, kwargs = env["attempt"][:3]
  layer = env["attempt"][3:] == ["layer"]
  result = {"family": family, "optimizer": class_name, "kwargs": kwargs,
            "setup": {"embedding_name": "emb", "key_dtype": "int64", "value_dtype": "float32",
                      "dim": DIM, "initializer": INITIALIZER, "trained_keys": KEYS,
                      "target": TARGET[0], "steps": STEPS,
                      "lookup_name": None if layer else LOOKUP_NAME}}
  train = train_graph if family == "tf1" else train_eager
  if layer:
    train = train_layer
  try:
    result.update(status="ok", **train(env["config_path"], env["ports"], family, class_name,
                                       kwargs))
  except Exception as e:  # pylint: disable=broad-except
    result.update(status="error", error=f"{type(e).__name__}: {e}"[:600],
                  traceback=traceback.format_exc().splitlines()[-8:])
  return result


def main():
  with open(sys.argv[1]) as f:
    env = json.load(f)
  result = run(env)
  with open(env["result_path"], "w") as f:
    json.dump(result, f)


if __name__ == "__main__":
  main()

"""The public path of redis_table_bench: what users call (issue 16, item 0).

`de.get_variable(...)` over the benchmark's table (same embedding name, so
the same Redis rows), with a random initializer as in training:
  vlookup  `Variable.lookup`, eager;
  vupsert  `Variable.upsert`, eager;
  train    one `tf.function` train step: `de.embedding_lookup` (which copies
           the batch's rows into a trainable wrapper, drawing initializer
           rows for absent keys), a loss, and a `DynamicEmbeddingOptimizer`
           (SGD) step that writes the rows back: a read and a write of every
           row, so it is set against raw HMGET + HSET;
  vlook4   four threads calling `Variable.lookup` at once (batches of at most
           1,024 keys only), against the raw limit's keys/s.
"""

import threading
import time

from tools.bench import bench_report

# The raw op each public op is compared with; train also reads (hmget).
RAW_OP = {"vlookup": "hmget", "vupsert": "hset", "train": "hset",
          "vlook4": "hmget"}
OPS = tuple(RAW_OP)
CONCURRENT_CALLERS = 4
CONCURRENT_MAX_BATCH = 1024


def make_variable(config, name, dim):
  """The benchmark's table as users reach it: `de.get_variable` named like
  the table (its rows), random rows for absent keys."""
  import keras  # pylint: disable=g-import-not-at-top
  from tensorflow_recommenders_addons import dynamic_embedding as de  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  return de.get_variable(
      name, key_dtype=tf.int64, value_dtype=tf.float32, dim=dim,
      initializer=keras.initializers.RandomNormal(stddev=0.01, seed=1),
      kv_creator=de.RedisTableCreator(config))


def _train_step(variable):
  """A tf.function: lookup through a trainable wrapper, SGD, write back."""
  import keras  # pylint: disable=g-import-not-at-top
  from tensorflow_recommenders_addons import dynamic_embedding as de  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  optimizer = de.DynamicEmbeddingOptimizer(keras.optimizers.SGD(1e-4))

  @tf.function(input_signature=[tf.TensorSpec([None], tf.int64)])
  def step(ids):
    with tf.GradientTape() as tape:
      rows, wrapper = de.embedding_lookup(variable, ids, name="bench",
                                          return_trainable=True)
      loss = tf.reduce_sum(rows * rows)
    grads = tape.gradient(loss, [wrapper])
    optimizer.apply_gradients(zip(grads, [wrapper]))

  return step


def functions(variable, dim):
  """{op: fn(keys, rows)} for the single-caller public ops."""
  step = _train_step(variable)
  del dim
  return {"vlookup": lambda k, r: variable.lookup(k),
          "vupsert": lambda k, r: variable.upsert(k, r),
          "train": lambda k, r: step(k)}


def _concurrent(variable, windows, budget, callers):
  """`callers` threads each calling `Variable.lookup` until the budget is
  spent; returns the summary of all their calls together."""
  latencies, lock = [], threading.Lock()
  start = time.perf_counter()
  cpu_start = time.process_time()
  stop = threading.Event()

  def run(first):
    mine, j = [], first
    variable.lookup(windows[j % len(windows)])  # warm-up, untimed
    while not stop.is_set():
      before = time.perf_counter()
      variable.lookup(windows[j % len(windows)])
      mine.append((time.perf_counter() - before) * 1e3)
      j += callers
      with lock:
        latencies.append(mine[-1])
        if budget.done(len(latencies) // callers,
                       time.perf_counter() - start):
          stop.set()

  threads = [threading.Thread(target=run, args=(c,)) for c in range(callers)]
  for thread in threads:
    thread.start()
  for thread in threads:
    thread.join()
  seconds = time.perf_counter() - start
  batch = int(windows[0].shape[0])
  result = bench_report.summary(latencies, seconds,
                                time.process_time() - cpu_start, batch)
  return result


def measure(variable, fns, op, dim, batch, n_keys, budget, time_calls):
  """One public op's summary, or None where it is not measured (vlook4 on
  batches above CONCURRENT_MAX_BATCH)."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  windows = [tf.range(w * batch, (w + 1) * batch, dtype=tf.int64)
             for w in range(n_keys // batch)]
  if op == "vlook4":
    if batch > CONCURRENT_MAX_BATCH:
      return None
    return _concurrent(variable, windows, budget, CONCURRENT_CALLERS)
  rows = tf.fill([batch, dim], 0.5)
  fn = fns[op]
  latencies, seconds, cpu_seconds = time_calls(
      lambda j: fn(windows[j % len(windows)], rows), budget)
  return bench_report.summary(latencies, seconds, cpu_seconds, batch)

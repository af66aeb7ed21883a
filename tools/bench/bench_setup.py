"""What redis_table_bench's cases share: finding the built tools, the
table config, where the buckets are, running raw_hash_bench and store_bench,
and the timing loop of a Python call."""

import json
import os
import re
import subprocess
import time

MODEL_TAG = "bench"
HMACCUM_MODULE = ("tensorflow_recommenders_addons/dynamic_embedding/core/"
                  "redis_module/hmaccum.so")


class Budget:
  """When a measurement stops: at least min_batches and min_seconds, or at
  least 3 batches once max_seconds have passed (slow combinations)."""

  def __init__(self, min_seconds, min_batches, max_seconds):
    self.min_seconds, self.min_batches = min_seconds, min_batches
    self.max_seconds = max_seconds

  def done(self, batches, seconds):
    return ((batches >= self.min_batches and seconds >= self.min_seconds) or
            (batches >= 3 and seconds >= self.max_seconds))

  def raw_flags(self):
    return [f"--min_seconds={self.min_seconds}",
            f"--min_batches={self.min_batches}",
            f"--max_seconds={self.max_seconds}"]


def time_calls(call, budget):
  """Runs call(j) for j = 0, 1, ... (call 0 is an untimed warm-up).

  Returns:
    (latencies in ms, wall seconds of the timed calls, process CPU seconds
    meanwhile -- all threads, TensorFlow's included).
  """
  call(0)
  latencies, j = [], 1
  start, cpu_start = time.perf_counter(), time.process_time()
  while True:
    before = time.perf_counter()
    call(j)
    after = time.perf_counter()
    latencies.append((after - before) * 1e3)
    j += 1
    if budget.done(len(latencies), after - start):
      return latencies, after - start, time.process_time() - cpu_start


def built_file(relative):
  """A file Bazel built: in this script's runfiles (bazel run, bazel test),
  or under bazel-bin of the workspace `bazel run` names or of this checkout;
  "" when none is there."""
  here = os.path.dirname(os.path.abspath(__file__))
  root = os.path.dirname(os.path.dirname(here))
  candidates = [os.path.join(root, relative)]
  if "TEST_SRCDIR" in os.environ:
    candidates.append(os.path.join(os.environ["TEST_SRCDIR"],
                                   os.environ.get("TEST_WORKSPACE", ""),
                                   relative))
  for workspace in (os.environ.get("BUILD_WORKSPACE_DIRECTORY"), root):
    if workspace:
      candidates.append(os.path.join(workspace, "bazel-bin", relative))
  return next((c for c in candidates if os.path.isfile(c)), "")


def write_config(directory, deployment, name, **overrides):
  """The table's JSON config file: one bucket per master."""
  settings = dict(storage_slice=len(deployment.node_ports("master")),
                  table_store_mode=2, keys_sending_size=1024,
                  model_tag_runtime=MODEL_TAG, model_tag_import=MODEL_TAG)
  settings.update(overrides)
  return deployment.write_table_config(
      os.path.join(directory, f"{name}.json"), **settings)


def buckets(deployment, embedding_name):
  """[(bucket key, port)] in bucket-index order, read from the servers.

  SCAN on a cluster node lists only that node's keys, so the scan tells each
  bucket's node. With one bucket per master, bucket i carries the tag of the
  i-th master's first slot (spec 4.1), so slot order is bucket order.
  """
  prefix = f"{MODEL_TAG}:{embedding_name}"
  found = []
  for port in deployment.node_ports("master"):
    listed = deployment.redis_cli(port, "--scan", "--pattern", prefix + "{*")
    found += [(key, port) for key in listed.split("\n")
              if re.fullmatch(re.escape(prefix) + r"\{[0-9]+\}", key)]
  if deployment.mode == "cluster":
    slot = {key: int(deployment.redis_cli(port, "CLUSTER", "KEYSLOT", key))
            for key, port in found}
    found.sort(key=lambda item: slot[item[0]])
  expected = len(deployment.node_ports("master"))
  if len(found) != expected:
    raise RuntimeError(f"found buckets {found}, expected {expected}")
  return found


def run_tool(argv):
  """Runs raw_hash_bench or store_bench; their JSON lines."""
  done = subprocess.run(argv, capture_output=True, text=True, check=False)
  if done.returncode != 0:
    raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.strip()}")
  lines = [json.loads(line) for line in done.stdout.splitlines() if line]
  for line in lines:
    if line["nil"] != 0:
      raise RuntimeError(f"{' '.join(argv)} missed {line['nil']} keys")
  return lines


def run_raw(raw_bench, keys, bucket_list, op, dim, batch, budget, extra=()):
  """raw_hash_bench's lines (one per strategy) for `op` on `keys` keys of the
  table's buckets (`extra`: more flags)."""
  return run_tool(
      [raw_bench,
       "--buckets=" + ",".join(f"{key}@{port}" for key, port in bucket_list),
       f"--keys={keys}", f"--dim={dim}", f"--batch={batch}",
       f"--op={op}"] + budget.raw_flags() + list(extra))


def run_store(args, config, name, op, dim, batch, budget):
  """store_bench's line, or None when --store_bench is empty."""
  if not args.store_bench:
    return None
  return run_tool(
      [args.store_bench, f"--config={config.redis_config_abs_dir}",
       f"--embedding_name={name}", f"--keys={args.keys}", f"--dim={dim}",
       f"--batch={batch}", f"--op={op}"] + budget.raw_flags())[0]


def drop_data(deployment):
  """Frees the servers' memory between dims. FLUSHALL ASYNC, not the table's
  clear (a DEL of a 1M-field hash can outlast the client's read timeout);
  the servers are this benchmark's own."""
  for port in deployment.node_ports("master"):
    reply = deployment.redis_cli(port, "FLUSHALL", "ASYNC")
    if reply != "OK":
      raise RuntimeError(f"FLUSHALL ASYNC on port {port}: {reply}")


def fill(insert, dim, n_keys, value=0.5):
  """Stores keys 0 .. n_keys-1 with rows of `value` through `insert`."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  step = min(n_keys, 1 << 17)
  for first in range(0, n_keys, step):
    last = min(n_keys, first + step)
    insert(tf.range(first, last, dtype=tf.int64),
           tf.fill([last - first, dim], value))


def op_after_round_trip_ms(port, budget):
  """p50s of a PING round trip over a plain socket, of the same round trip
  followed by an eager tf.identity, and of tf.identity alone.

  Every table call waits for Redis in a system call and then runs TensorFlow
  code; the raw tool runs none. On the host this was developed on, an op
  right after a round trip cost ~55 us more than in a tight loop (cold
  caches), which is part of each table latency and of no raw one.
  """
  import socket  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  x = tf.constant(1.0)
  with socket.create_connection(("127.0.0.1", port)) as conn:
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def ping(unused_j):
      conn.sendall(b"*1\r\n$4\r\nPING\r\n")
      reply = b""
      while not reply.endswith(b"\r\n"):
        reply += conn.recv(64)
      if reply != b"+PONG\r\n":
        raise RuntimeError("unexpected PING reply %r" % reply)

    def ping_then_op(j):
      ping(j)
      tf.identity(x)

    return tuple(
        sorted(lat)[len(lat) // 2] for lat, _, _ in
        (time_calls(f, budget)
         for f in (ping, ping_then_op, lambda j: tf.identity(x))))


def call_overhead_ms(budget, call):
  """Cost of a trivial call (tf.identity) made the way the table ops are
  called: part of every table latency."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  fn = tf.identity if call == "eager" else tf.function(
      tf.identity, input_signature=[tf.TensorSpec([None], tf.int64)])
  keys = tf.range(1024, dtype=tf.int64)
  latencies, _, _ = time_calls(lambda j: fn(keys), budget)
  return sorted(latencies)[len(latencies) // 2]

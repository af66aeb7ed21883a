"""A mixed training-like load on one RedisTable, and the check of what it
left in Redis against what Redis acknowledged.

Used by the fault matrix (python/kernel_tests/redis_fault_matrix_test.py)
and the soak tool (tools/reliability/soak.py). Each worker thread owns two
key ranges, so its ledger needs no lock and tells exactly what each key must
hold:

- insert keys: each insert writes rows whose every element is a new version
  number of the key (1, 2, ...; no row is version 0). A key must end
  holding a version between the last acknowledged one and the last
  attempted one: less is a lost write, more cannot happen.
- accum keys: set to 0 at the start, then each accum adds 1 to a batch of
  them. A key must end between its acknowledged adds and those plus the
  failed ones (a failed add may have been applied once): less is a lost
  update, more is an update applied twice.
- lookups read insert keys the worker has written: a row read back must be
  a version at least as new as the last one acknowledged before the lookup
  started; the default row there is a silent default (or a lost write).

Every op is timed and its outcome recorded, so a run can also tell how long
the longest op took (no hang) and when the load recovered from a fault.
"""

import collections
import threading
import time

import numpy as np
import tensorflow as tf

from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import redis_table_ops

DIM = 4
DEFAULT = -1.0
OPS = ("lookup", "insert", "accum")
# Short timeouts, so that an op against a dead or silent server fails fast.
TABLE_SETTINGS = dict(redis_socket_timeout=500, redis_connect_timeout=500,
                      storage_slice=4, table_store_mode=2,
                      expire_model_tag_in_seconds=-1, model_tag_runtime="fm",
                      model_tag_import="fm")

# One op: when it ran, what it was, its error's class name (None: ok) and
# the start of the error's message.
Event = collections.namedtuple("Event", "start end op error detail")
# After a failed op a worker waits this long, as a training loop that
# retries its step would: failures are counted per attempt, not per spin.
RETRY_PAUSE_S = 0.05


def make_table(deployment, config_path, **overrides):
  """A RedisTable of the workload's shape stored in `deployment` (a
  tools/testing Deployment), its config written to `config_path` from
  TABLE_SETTINGS and `overrides`."""
  settings = dict(TABLE_SETTINGS, **overrides)
  path = deployment.write_table_config(config_path, **settings)
  return redis_table_ops.RedisTable(
      tf.int64, tf.float32, tf.fill([DIM], DEFAULT), name="faults",
      config=de.RedisTableConfig(redis_config_abs_dir=path))


class EventLog:
  """Every op's Event, in order (for runs of seconds: the fault matrix)."""

  def __init__(self):
    self.events = []

  def record(self, event):
    self.events.append(event)


class Tally:
  """Bounded memory for long runs (the soak): successful ops counted per
  second, failed ops kept whole, the last success of each op and the
  longest op. One writer (its worker); readers tolerate a stale view."""

  def __init__(self):
    # int(time.monotonic()) -> ops; a plain dict, so that dict(ok_per_s)
    # copies it in one step while its worker adds to it.
    self.ok_per_s = {}
    self.failures = []
    self.last_ok = {}  # op -> end of its last success
    self.max_op_s = 0.0

  def record(self, event):
    self.max_op_s = max(self.max_op_s, event.end - event.start)
    if event.error:
      self.failures.append(event)
    else:
      second = int(event.end)
      self.ok_per_s[second] = self.ok_per_s.get(second, 0) + 1
      self.last_ok[event.op] = event.end


class Worker(threading.Thread):
  """Runs lookup, insert and accum in turn on its own keys until stopped.

  Args:
    index: the worker's number; its keys are [index * 2 * keys,
      (index * 2 + 2) * keys).
    table: a RedisTable of int64 keys and float32 rows of DIM, default row
      DEFAULT.
    keys: keys per range.
    batch: keys per op.
    stop: a threading.Event that ends the loop.
    pause_s: sleep between ops (0: as fast as the table answers).
    log: where each op's Event goes (an EventLog, the default, or a Tally).
  """

  def __init__(self, index, table, keys, batch, stop, pause_s=0.0, log=None):
    super().__init__(name="workload-%d" % index, daemon=True)
    self.table, self.batch, self.stop, self.pause_s = table, batch, stop, pause_s
    self.log = log if log is not None else EventLog()
    base = index * 2 * keys
    self.insert_keys = np.arange(base, base + keys, dtype=np.int64)
    self.accum_keys = np.arange(base + keys, base + 2 * keys, dtype=np.int64)
    self.acked = np.zeros(keys, np.int64)       # insert: last acked version
    self.attempted = np.zeros(keys, np.int64)   # insert: last tried version
    self.adds_acked = np.zeros(keys, np.int64)  # accum: acknowledged adds
    self.adds_failed = np.zeros(keys, np.int64)  # accum: failed adds
    self.violations = []  # lookups that read something impossible
    self._rng = np.random.default_rng(index)

  def prepare(self):
    """Sets every accum key to 0 (retried until Redis takes it)."""
    zeros = tf.zeros([len(self.accum_keys), DIM])
    while True:
      try:
        self.table.insert(tf.constant(self.accum_keys), zeros)
        return
      except tf.errors.OpError:
        time.sleep(0.1)

  def run(self):
    step = 0
    while not self.stop.is_set():
      op = OPS[step % len(OPS)]
      step += 1
      picked = self._rng.choice(len(self.insert_keys), self.batch,
                                replace=False)
      start = time.monotonic()
      error = detail = None
      try:
        getattr(self, "_" + op)(picked)
      except tf.errors.OpError as e:
        error, detail = type(e).__name__, e.message[:400]
      self.log.record(Event(start, time.monotonic(), op, error, detail))
      pause = self.pause_s + (RETRY_PAUSE_S if error else 0.0)
      if pause:
        time.sleep(pause)

  def _insert(self, picked):
    versions = self.attempted[picked] + 1
    self.attempted[picked] = versions
    rows = np.repeat(versions.astype(np.float32)[:, None], DIM, axis=1)
    self.table.insert(tf.constant(self.insert_keys[picked]),
                      tf.constant(rows))
    self.acked[picked] = versions

  def _accum(self, picked):
    try:
      self.table.accum(tf.constant(self.accum_keys[picked]),
                       tf.ones([len(picked), DIM]),
                       tf.ones([len(picked)], tf.bool))
    except tf.errors.OpError:
      self.adds_failed[picked] += 1
      raise
    self.adds_acked[picked] += 1

  def _lookup(self, picked):
    written = picked[self.acked[picked] > 0]
    if len(written) == 0:
      return
    floor = self.acked[written].copy()
    rows = self.table.lookup(tf.constant(self.insert_keys[written])).numpy()
    got = rows[:, 0].astype(np.int64)
    bad = (got < floor) | (got > self.attempted[written])
    for i in np.flatnonzero(bad):
      self.violations.append(
          "key %d read %r, acknowledged version %d" %
          (self.insert_keys[written][i], rows[i, 0], floor[i]))


def _read_all(table, keys):
  """First element of each key's row (DEFAULT when absent), retried until
  Redis answers."""
  deadline = time.monotonic() + 60
  while True:
    try:
      return table.lookup(tf.constant(keys)).numpy()[:, 0]
    except tf.errors.OpError:
      if time.monotonic() > deadline:
        raise
      time.sleep(0.2)


def verify(table, workers):
  """What Redis holds against the workers' ledgers (call once they stopped).

  Returns:
    {"rows_lost": writes or adds acknowledged and missing,
     "applied_twice": adds applied more often than tried (or rows newer
     than any written), "bad_reads": lookups that read an impossible row,
     "bad_examples": a few of each, as text}.
  """
  lost = twice = 0
  examples = []

  def check(kind, keys, stored, low, high):
    nonlocal lost, twice
    for i in np.flatnonzero((stored < low) | (stored > high))[:3]:
      examples.append("%s key %d holds %r, expected %d..%d" %
                      (kind, keys[i], stored[i], low[i], high[i]))
    lost += int(np.sum(stored < low))
    twice += int(np.sum(stored > high))

  for worker in workers:
    # A key no insert reached holds no row: version 0, not DEFAULT.
    stored = _read_all(table, worker.insert_keys)
    stored = np.where(stored == DEFAULT, 0, stored)
    check("insert", worker.insert_keys, stored, worker.acked, worker.attempted)
    check("accum", worker.accum_keys, _read_all(table, worker.accum_keys),
          worker.adds_acked, worker.adds_acked + worker.adds_failed)
    examples += worker.violations[:3]
  return {"rows_lost": lost, "applied_twice": twice,
          "bad_reads": sum(len(w.violations) for w in workers),
          "bad_examples": examples[:8]}


def start_workers(table, count, keys=256, batch=32, pause_s=0.0, tally=False):
  """`count` prepared and started workers, and the Event that stops them.
  tally: each worker logs to a Tally instead of an EventLog."""
  stop = threading.Event()
  workers = [Worker(i, table, keys, batch, stop, pause_s,
                    Tally() if tally else None)
             for i in range(count)]
  for worker in workers:
    worker.prepare()
  for worker in workers:
    worker.start()
  return workers, stop


def stop_workers(workers, stop, timeout_s=120):
  """Stops the workers; raises if one does not finish (a hung op)."""
  stop.set()
  for worker in workers:
    worker.join(timeout_s)
    if worker.is_alive():
      raise RuntimeError("%s did not stop within %d s: an op hangs" %
                         (worker.name, timeout_s))


def all_events(workers):
  """The Events of workers that log to an EventLog, by start time."""
  return sorted((e for w in workers for e in w.log.events),
                key=lambda e: e.start)


def summarize(events, fault_at):
  """Figures of a run whose fault began at `fault_at` (time.monotonic()).

  "recovered_s": from the fault until every kind of op (lookup, insert,
  accum) had succeeded once after the last failed op ended (0 with no
  failure; None when some kind never did).
  "impaired_s": from the start of the first failed op to the end of the
  last. Durations are rounded to milliseconds; "error_examples" holds the
  first message of each error class.
  """
  failed = [e for e in events if e.error]
  summary = {
      "ops": len(events),
      "failed_ops": len(failed),
      "errors": dict(collections.Counter(e.error for e in failed)),
      "max_op_s": round(max((e.end - e.start for e in events), default=0), 3),
      "recovered_s": 0.0,
      "impaired_s": 0.0,
      "error_examples": {},
  }
  for event in failed:
    summary["error_examples"].setdefault(event.error, event.detail)
  summary["last_failure_s"] = (
      round(max(e.end for e in failed) - fault_at, 3) if failed else None)
  if failed:
    last_failure = max(e.end for e in failed)
    first_ok = {}
    for e in events:
      if not e.error and e.start >= last_failure:
        first_ok[e.op] = min(first_ok.get(e.op, e.end), e.end)
    summary["recovered_s"] = (round(max(first_ok.values()) - fault_at, 3)
                              if len(first_ok) == len(OPS) else None)
    summary["impaired_s"] = round(
        last_failure - min(e.start for e in failed), 3)
  return summary


def throughput(events, start, interval_s):
  """Successful ops per second in consecutive intervals from `start`."""
  counts = collections.Counter(
      int((e.end - start) // interval_s) for e in events if not e.error)
  last = max(counts) if counts else -1
  return [round(counts.get(i, 0) / interval_s, 1) for i in range(last + 1)]

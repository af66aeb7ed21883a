"""Metrics of the Redis backend, readable from Python.

The op library counts, per process and per Redis table, what the backend
does (docs/reliability.md lists every metric): calls, keys, misses, errors by
kind, resends, redirections, bytes, degraded rows, and a latency histogram
per table operation. `snapshot()` reads them all at once; the helpers render
a snapshot as Prometheus text or write it as TensorBoard scalars.

Example:
  >>> from tensorflow_recommenders_addons import dynamic_embedding as de
  >>> snap = de.redis_metrics.snapshot()
  >>> snap.value("tfra_redis_table_calls_total", table="test:emb", op="find")
  >>> text = de.redis_metrics.prometheus_text(snap)
  >>> with tf.summary.create_file_writer("/tmp/tb").as_default():
  ...   de.redis_metrics.write_tensorboard_scalars(step=100, snap=snap)

Counters only grow, from the start of the process (a table opened again
keeps adding to its series); a table is labelled `<model_tag>:<embedding
name>`, so every shard of a variable adds to one series.
"""

import contextlib
import json

import tensorflow as tf
from tensorflow.core.framework import summary_pb2

from tensorflow_recommenders_addons.dynamic_embedding.python.ops import redis_table_ops


def _matches(labels, wanted):
  return all(labels.get(key) == value for key, value in wanted.items())


class MetricsSnapshot:
  """The metrics at one moment (each metric read atomically, not the set).

  Attributes:
    counters: list of {"name", "labels": {..}, "value"}.
    histograms: list of {"name", "labels", "bounds_us": upper bounds of the
      buckets, "counts": per bucket (one more than bounds: the last counts
      everything longer), "count", "sum_us"}.
    help: {metric name: what it counts}.
  """

  def __init__(self, data):
    self.counters = data["counters"]
    self.histograms = data["histograms"]
    self.help = data["help"]

  def value(self, name, **labels):
    """The sum of the counters `name` whose labels include `labels`."""
    return sum(c["value"] for c in self.counters
               if c["name"] == name and _matches(c["labels"], labels))

  def histogram(self, name, **labels):
    """The histograms `name` whose labels include `labels`, added up:
    {"bounds_us", "counts", "count", "sum_us"} (all zero when none match)."""
    bounds, counts, count, sum_us = [], [], 0, 0
    for h in self.histograms:
      if h["name"] != name or not _matches(h["labels"], labels):
        continue
      bounds = h["bounds_us"]
      counts = [a + b for a, b in zip(counts, h["counts"])] if counts else list(
          h["counts"])
      count += h["count"]
      sum_us += h["sum_us"]
    return dict(bounds_us=bounds, counts=counts, count=count, sum_us=sum_us)

  def tables(self):
    """The `table` labels present, sorted."""
    return sorted({m["labels"]["table"]
                   for m in self.counters + self.histograms
                   if "table" in m["labels"]})


def snapshot():
  """Reads every metric of this process (eager; runs the TFRA>RedisMetrics
  op on the CPU).

  Returns:
    A `MetricsSnapshot`.
  """
  with tf.device("/CPU:0"):
    text = redis_table_ops.redis_table_ops.ops.tfra_redis_metrics()
  return MetricsSnapshot(json.loads(text.numpy().decode("utf-8")))


def _quantile_seconds(histogram, q):
  """The upper bound of the bucket holding quantile `q`, in seconds (the
  last bound for samples past it); 0 with no samples."""
  if histogram["count"] == 0:
    return 0.0
  rank, seen = q * histogram["count"], 0
  for bound, count in zip(histogram["bounds_us"], histogram["counts"]):
    seen += count
    if seen >= rank:
      return bound / 1e6
  return histogram["bounds_us"][-1] / 1e6


def _escape_label(value):
  return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")


def _label_text(labels, extra=()):
  pairs = sorted(labels.items()) + list(extra)
  if not pairs:
    return ""
  return "{%s}" % ",".join('%s="%s"' % (k, _escape_label(v)) for k, v in pairs)


def _header(lines, name, kind, help_text, done):
  if name in done:
    return
  done.add(name)
  if help_text:
    lines.append("# HELP %s %s" % (name, help_text.replace("\n", " ")))
  lines.append("# TYPE %s %s" % (name, kind))


def prometheus_text(snap=None):
  """The metrics in Prometheus' text exposition format (version 0.0.4).

  Latency histograms are in seconds, with cumulative `le` buckets, `_sum`
  and `_count`, as Prometheus expects.

  Args:
    snap: a `MetricsSnapshot` (None: `snapshot()`).

  Returns:
    The text, ending with a newline.
  """
  snap = snap if snap is not None else snapshot()
  lines, done = [], set()
  for counter in snap.counters:
    name = counter["name"]
    _header(lines, name, "counter", snap.help.get(name), done)
    lines.append("%s%s %d" % (name, _label_text(counter["labels"]),
                              counter["value"]))
  for h in snap.histograms:
    name = h["name"]
    _header(lines, name, "histogram", snap.help.get(name), done)
    cumulative = 0
    for bound, count in zip(h["bounds_us"], h["counts"]):
      cumulative += count
      lines.append("%s_bucket%s %d" % (name, _label_text(
          h["labels"], [("le", repr(bound / 1e6))]), cumulative))
    lines.append("%s_bucket%s %d" % (name, _label_text(
        h["labels"], [("le", "+Inf")]), h["count"]))
    lines.append("%s_sum%s %r" % (name, _label_text(h["labels"]),
                                  h["sum_us"] / 1e6))
    lines.append("%s_count%s %d" % (name, _label_text(h["labels"]),
                                    h["count"]))
  return "\n".join(lines) + "\n"


def _scalar_name(prefix, name, labels):
  parts = [prefix, name] + ["%s=%s" % item for item in sorted(labels.items())]
  return "/".join(p for p in parts if p)


def write_tensorboard_scalars(step, writer=None, snap=None, prefix="redis"):
  """Writes the metrics as TensorBoard scalars at `step`.

  A counter becomes `<prefix>/<name>/<label>=<value>/...`; a histogram
  becomes three scalars under its name: `count`, `mean_seconds` and
  `p99_seconds` (the upper bound of the bucket holding the 99th
  percentile).

  Args:
    step: the step of the scalars.
    writer: a `tf.summary` writer (None: the default writer; with neither,
      nothing is written).
    snap: a `MetricsSnapshot` (None: `snapshot()`).
    prefix: the first part of every scalar's name.

  Returns:
    The number of scalars written.
  """
  snap = snap if snap is not None else snapshot()
  scalars = []
  for counter in snap.counters:
    scalars.append((_scalar_name(prefix, counter["name"], counter["labels"]),
                    float(counter["value"])))
  for h in snap.histograms:
    base = _scalar_name(prefix, h["name"], h["labels"])
    mean = h["sum_us"] / 1e6 / h["count"] if h["count"] else 0.0
    scalars += [(base + "/count", float(h["count"])),
                (base + "/mean_seconds", mean),
                (base + "/p99_seconds", _quantile_seconds(h, 0.99))]
  # What tf.summary.scalar writes, without needing the tensorboard package
  # (tensorflow-cpu does not depend on it): a float32 scalar tagged for
  # TensorBoard's scalars plugin.
  metadata = summary_pb2.SummaryMetadata()
  metadata.plugin_data.plugin_name = "scalars"
  with (writer.as_default() if writer is not None else
        contextlib.nullcontext()):
    for name, value in scalars:
      tf.summary.write(name, tf.constant(value, tf.float32), step=step,
                       metadata=metadata)
  return len(scalars)

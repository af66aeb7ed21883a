"""Rows, the printed table, and the linearity and target checks of
redis_table_bench.py (targets from issues #4 and #16)."""

import collections
import math

# Table throughput as a fraction of the raw limit: at batch 1024, and above.
TARGET_RATIO_SMALL_BATCH = 0.9
TARGET_RATIO_LARGE_BATCH = 0.95
SMALL_BATCH = 1024
# p99 of a 1,024-key lookup, as a multiple of the raw HMGET p99.
TARGET_P99_FACTOR = 1.1
# Cost is "linear in the number of keys" when the time per key at a larger
# batch stays within this factor of the time per key at the smallest batch.
LINEARITY_SLACK = 1.1
# Issue #16. The public path (de.get_variable, one standalone server): at
# batch 1024 p50 and p99 within these factors of one raw HMGET's; above it
# the large-batch ratio; four concurrent 1k callers at this ratio.
PUBLIC_P50_FACTOR = 1.15
PUBLIC_P99_FACTOR = 1.2
CONCURRENT_RATIO = 0.9
# Accum without a module against the raw read-then-write of its rows, at
# batch 1024 and above; with the HMACCUM module against raw HSET.
ACCUM_READ_WRITE_SMALL_BATCH = 0.8
ACCUM_READ_WRITE_LARGE_BATCH = 0.9
ACCUM_MODULE_RATIO = 0.9
# A mode whose servers load the HMACCUM module ends with this.
MODULE_SUFFIX = "+m"

# keys/s: table (TF op), store (store_bench: the same C++ path without TF;
# "-" when not run), raw (best raw_hash_bench strategy); latencies in ms per
# batch; cpu: client process CPU microseconds per key.
_COLUMNS = (("mode", "<12"), ("op", "<7"), ("dim", ">4"), ("batch", ">7"),
            ("table k/s", ">10"), ("store k/s", ">10"), ("raw k/s", ">10"),
            ("ratio", ">6"), ("raw best", "<11"), ("tbl p50", ">8"),
            ("tbl p99", ">8"), ("raw p50", ">8"), ("raw p99", ">8"),
            ("cpu tbl", ">8"), ("cpu store", ">9"), ("cpu raw", ">8"))
HEADER = " ".join(format(name, spec) for name, spec in _COLUMNS)


def percentile(values, fraction):
  """Nearest-rank percentile (as raw_hash_bench computes it)."""
  ordered = sorted(values)
  rank = max(1, math.ceil(fraction * len(ordered)))
  return ordered[min(rank, len(ordered)) - 1]


def summary(latencies_ms, seconds, cpu_seconds, batch):
  """One measurement: throughput, per-batch latency percentiles, CPU/key."""
  keys = len(latencies_ms) * batch
  return dict(keys_per_s=keys / seconds, p50_ms=percentile(latencies_ms, 0.50),
              p99_ms=percentile(latencies_ms, 0.99),
              cpu_us_per_key=cpu_seconds * 1e6 / keys,
              batches=len(latencies_ms))


def row(mode, op, dim, batch, table, raw_lines, store=None):
  """A table measurement beside the store's and the raw limit (best raw
  strategy). The raw latencies are the lowest any strategy reached, the
  strictest comparison for the table."""
  best = max(raw_lines, key=lambda line: line["keys_per_s"])
  return dict(mode=mode, op=op, dim=dim, batch=batch,
              table_keys_per_s=table["keys_per_s"],
              store_keys_per_s=store["keys_per_s"] if store else None,
              raw_keys_per_s=best["keys_per_s"],
              ratio=table["keys_per_s"] / best["keys_per_s"],
              raw_op=best["op"], raw_strategy=best["strategy"],
              table_p50_ms=table["p50_ms"], table_p99_ms=table["p99_ms"],
              raw_p50_ms=min(line["p50_ms"] for line in raw_lines),
              raw_p99_ms=min(line["p99_ms"] for line in raw_lines),
              table_cpu_us_per_key=table["cpu_us_per_key"],
              store_cpu_us_per_key=store["cpu_us_per_key"] if store else None,
              raw_cpu_us_per_key=best["cpu_us_per_key"],
              table_batches=table["batches"], store=store, raw=raw_lines)


def add_read_write_bound(r, read_lines):
  """Adds to an accum row the raw limit of reading then writing its rows
  (best HMGET, then best HSET), which any accum without a server module
  must at least pay, and the table's ratio to it."""
  read = max(line["keys_per_s"] for line in read_lines)
  bound = 1.0 / (1.0 / read + 1.0 / r["raw_keys_per_s"])
  r["raw_read_write_keys_per_s"] = bound
  r["ratio_read_write"] = r["table_keys_per_s"] / bound


def read_write_bound(rows):
  """Accum rows against the read-then-write bound (add_read_write_bound)."""
  lines = ["accum and train against reading then writing the same rows raw "
           "(no module-free accum moves less):"]
  for r in rows:
    if "ratio_read_write" not in r:
      continue
    lines.append(f"  {r['mode']:<12} {r['op']:<5} dim {r['dim']:>3} batch "
                 f"{r['batch']:>6}:"
                 f" raw read+write {r['raw_read_write_keys_per_s']:.0f} keys/s,"
                 f" table {r['table_keys_per_s']:.0f} -> "
                 f"{r['ratio_read_write']:.2f}")
  return "\n".join(lines) if len(lines) > 1 else ""


def _optional(value, spec):
  return "-" if value is None else format(value, spec)


def format_row(r):
  values = (r["mode"], r["op"], r["dim"], r["batch"],
            f"{r['table_keys_per_s']:.0f}",
            _optional(r["store_keys_per_s"], ".0f"),
            f"{r['raw_keys_per_s']:.0f}", f"{r['ratio']:.2f}",
            r["raw_strategy"], f"{r['table_p50_ms']:.3f}",
            f"{r['table_p99_ms']:.3f}", f"{r['raw_p50_ms']:.3f}",
            f"{r['raw_p99_ms']:.3f}", f"{r['table_cpu_us_per_key']:.3f}",
            _optional(r["store_cpu_us_per_key"], ".3f"),
            f"{r['raw_cpu_us_per_key']:.3f}")
  return " ".join(
      format(value, spec) for value, (_, spec) in zip(values, _COLUMNS))


def linearity(rows):
  """Microseconds per key at each batch size, per (mode, op, dim)."""
  groups = collections.defaultdict(list)
  for r in rows:
    groups[(r["mode"], r["op"], r["dim"])].append(r)
  lines = ["linearity (table us/key by batch; 'linear' when no larger batch "
           f"costs more than {LINEARITY_SLACK}x per key than the smallest):"]
  for (mode, op, dim), group in groups.items():
    group.sort(key=lambda r: r["batch"])
    per_key = [(r["batch"], 1e6 / r["table_keys_per_s"]) for r in group]
    worst = max(us / per_key[0][1] for _, us in per_key)
    verdict = "linear" if worst <= LINEARITY_SLACK else f"GROWS x{worst:.2f}"
    cells = ", ".join(f"{batch}: {us:.3f}" for batch, us in per_key)
    lines.append(f"  {mode:<10} {op:<6} dim {dim:>3}: {cells}  -> {verdict}")
  return "\n".join(lines)


def _check(misses, ok, text):
  """Counts one check; a miss is listed."""
  if not ok:
    misses.append("  " + text)
  return 1 if ok else 0


def _ratio_check(r, want, misses, key="ratio", against="raw"):
  return _check(misses, r[key] >= want,
                f"{r['mode']} {r['op']} dim {r['dim']} batch {r['batch']}: "
                f"{r[key]:.2f} of {against} < {want}")


def _latency_check(r, which, factor, misses):
  limit = factor * r[f"raw_{which}_ms"]
  return _check(misses, r[f"table_{which}_ms"] <= limit,
                f"{r['mode']} {r['op']} dim {r['dim']} batch {r['batch']}: "
                f"{which} {r[f'table_{which}_ms']:.3f} ms > {factor} x raw "
                f"{r[f'raw_{which}_ms']:.3f} ms")


def _row_checks(r, misses):
  """(checks, met) of one row against its issue's targets."""
  small = r["batch"] <= SMALL_BATCH
  op, module = r["op"], r["mode"].endswith(MODULE_SUFFIX)
  if op == "accum" and module:
    return 1, _ratio_check(r, ACCUM_MODULE_RATIO, misses, against="HSET")
  if op == "accum":
    want = (ACCUM_READ_WRITE_SMALL_BATCH if small else
            ACCUM_READ_WRITE_LARGE_BATCH)
    return 1, _ratio_check(r, want, misses, key="ratio_read_write",
                           against="raw read+write")
  if op == "vlook4":
    return 1, _ratio_check(r, CONCURRENT_RATIO, misses)
  if op == "vlookup" and small:
    return 2, (_latency_check(r, "p50", PUBLIC_P50_FACTOR, misses) +
               _latency_check(r, "p99", PUBLIC_P99_FACTOR, misses))
  if op == "vlookup":
    return 1, _ratio_check(r, TARGET_RATIO_LARGE_BATCH, misses)
  if op not in ("lookup", "insert"):
    return 0, 0  # printed for information: vupsert, train
  want = TARGET_RATIO_SMALL_BATCH if small else TARGET_RATIO_LARGE_BATCH
  checks, met = 1, _ratio_check(r, want, misses)
  if op == "lookup" and small:
    checks += 1
    met += _latency_check(r, "p99", TARGET_P99_FACTOR, misses)
  return checks, met


def targets(rows):
  """Which rows meet the targets of issues #4 (table ops) and #16 (public
  path on a standalone server, accum); misses listed one a line."""
  misses, met, checks = [], 0, 0
  for r in rows:
    if r["op"].startswith("v") and not r["mode"].startswith("standalone"):
      continue  # issue 16 sets the public targets on one standalone server
    row_checks, row_met = _row_checks(r, misses)
    checks += row_checks
    met += row_met
  return "\n".join([f"targets: {met} of {checks} checks met"] + misses)

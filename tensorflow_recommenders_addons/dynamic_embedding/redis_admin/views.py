"""Text views of tfra-redis answers (what `--json` prints as JSON)."""


def human_bytes(n):
  """1536 -> "1.5 KiB"."""
  for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
    if abs(n) < 1024 or unit == "TiB":
      return ("%d %s" if unit == "B" else "%.1f %s") % (n, unit)
    n /= 1024.0
  return str(n)


def human_ttl(ms):
  """-1 -> "none"; 90061000 -> "1d 1h"."""
  if ms is None or ms < 0:
    return "none"
  seconds = ms // 1000
  for size, name, smaller, smaller_name in ((86400, "d", 3600, "h"),
                                            (3600, "h", 60, "m"),
                                            (60, "m", 1, "s")):
    if seconds >= size:
      return "%d%s %d%s" % (seconds // size, name,
                            seconds % size // smaller, smaller_name)
  return "%ds" % seconds


def columns(headers, rows):
  """Left-aligned columns, two spaces apart."""
  cells = [list(headers)] + [[str(c) for c in row] for row in rows]
  widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
  return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
                   for row in cells)


def _memory(table):
  text = human_bytes(table["memory_bytes"])
  return "~" + text if table.get("memory_sampled") else text


def _ttl_range(table):
  low, high = table["ttl_min_ms"], table["ttl_max_ms"]
  if high < 0:
    return "none"
  return human_ttl(low) if low == high else "%s..%s" % (human_ttl(low),
                                                        human_ttl(high))


def _buckets(table):
  """"3", or "1/3" when only one of the layout's 3 buckets holds rows."""
  if table["buckets"] == table["storage_slice"]:
    return str(table["buckets"])
  return "%d/%d" % (table["buckets"], table["storage_slice"])


def tables(answer):
  found = answer["result"]["tables"]
  lines = ["config: %s (%s)" % (answer["config"], answer["config_source"])]
  if not found:
    return "\n".join(lines + ["no tables found"])
  rows = [(t["model_tag"] or "?", t["name"], t["key_dtype"] or "?",
           t["value_dtype"] or "?", "?" if t["dim"] is None else t["dim"],
           t["value_encoding"], _buckets(t), format(t["rows"], ","), _memory(t), _ttl_range(t),
           "%.0f%%" % (100 * t["largest_bucket_share"]), t["state"])
          for t in found]
  lines.append(columns(("MODEL TAG", "TABLE", "KEY", "VALUE", "DIM",
                        "ENCODING", "BUCKETS", "ROWS", "MEMORY", "TTL",
                        "LARGEST", "STATE"), rows))
  if any(t.get("memory_sampled") for t in found):
    lines.append("~ memory of big buckets estimated by MEMORY USAGE from a "
                 "sample of their rows")
  if any(t["state"] != "complete" for t in found):
    lines.append("staging/publishing: a copy-tag or rename-tag was "
                 "interrupted; run it again to finish, or drop-tag the target")
  return "\n".join(lines)


def inspect(answer):
  result = answer["result"]
  layout = result["layout"]
  lines = ["table %s of model tag %s (layout from the %s)" %
           (layout["name"], layout["model_tag"], layout["layout_from"])]
  for key in ("key_dtype", "value_dtype", "dim", "value_encoding",
              "storage_slice", "using_hash_storage_slice", "record_key"):
    if key in layout:
      lines.append("  %-26s %s" % (key, layout[key]))
  lines.append("")
  lines.append(columns(("BUCKET", "NODE", "ROWS", "MEMORY", "TTL"),
                       [(b["key"], b["node"], format(b["rows"], ","),
                         human_bytes(b["memory_bytes"]), human_ttl(b["ttl_ms"]))
                        for b in result["buckets"]]))
  if result["rows"]:
    lines.append("")
    lines.append(columns(("KEY", "BUCKET", "VALUE"),
                         [(r["key"], r["bucket"],
                           r["value"] if r["found"] else "(not stored)")
                          for r in result["rows"]]))
  return "\n".join(lines)


def plan(answer):
  p = answer["result"]
  return "\n".join([
      "measured on this Redis: %s sample rows of %d x %s (%d bytes of data "
      "per row)" % (format(p["sample_rows"], ","), p["dim"], p["value_dtype"],
                    p["row_bytes"]),
      "  memory per row   %.1f bytes" % p["memory_per_row_bytes"],
      "  rows             %s" % format(p["rows"], ","),
      "  total            %s" % human_bytes(p["total_memory_bytes"]),
      "  masters          %d (%s each)" % (
          p["masters"], human_bytes(p["per_master_memory_bytes"])),
      "  storage_slice    %d (%s per bucket; limit %s)" % (
          p["storage_slice"], human_bytes(p["bucket_memory_bytes"]),
          human_bytes(p["bucket_limit_bytes"])),
  ])


def hot(answer, top=5):
  result = answer["result"]
  lines = ["bucket limit %s, %d masters" % (
      human_bytes(result["bucket_limit_bytes"]), result["masters"])]
  if not result["tables"]:
    lines.append("no tables found")
  for t in result["tables"]:
    lines.append("")
    over = t["over_limit"]
    lines.append(
        "%s/%s: %d buckets, %s, largest bucket %s, fullest bucket %.2fx "
        "the mean rows%s" %
        (t["model_tag"], t["name"], t["storage_slice"],
         human_bytes(t["memory_bytes"]), human_bytes(t["largest_bucket_bytes"]),
         t["skew"], ", %d over the limit" % len(over) if over else ""))
    lines.append(columns(
        ("  BUCKET", "NODE", "ROWS", "MEMORY", "SHARE"),
        [("  " + b["key"], b["node"], format(b["rows"], ","),
          human_bytes(b["memory_bytes"]), "%.0f%%" % (100 * b["share"]))
         for b in t["buckets"][:top]]))
    if t["suggest_using_hash"]:
      lines.append("  the keys do not spread: a numeric key's bucket is its "
                   "value modulo storage_slice, and these keys share a "
                   "stride; hash them instead (tfra-redis rebucket %s --to %d "
                   "--using-hash true, then set using_hash_storage_slice: "
                   "true and storage_slice: %d in the config)" %
                   (t["name"], t["suggested_storage_slice"],
                    t["suggested_storage_slice"]))
    elif t["suggested_storage_slice"] != t["storage_slice"]:
      lines.append("  suggested storage_slice: %d (tfra-redis rebucket %s "
                   "--to %d, then set it in the config)" %
                   (t["suggested_storage_slice"], t["name"],
                    t["suggested_storage_slice"]))
    else:
      lines.append("  storage_slice %d is fine" % t["storage_slice"])
  return "\n".join(lines)

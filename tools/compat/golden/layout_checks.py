"""Compares what upstream wrote (a golden case record) with layout_prediction.py's predictions.

The result is stored in each case file under "checks", so a reader sees at once whether
the documented layout (bucket names, bucket choice and value bytes) held for that case.
"""

import struct

from tools.compat.golden import layout_prediction
from tools.compat.redis_keys import readable

_PACK = {"float32": "<f", "float64": "<d", "int32": "<i", "int64": "<q", "int8": "<b",
         "half": "<e", "bool": "<?"}
_TABLE = []


def _slot_table():
  if not _TABLE:
    _TABLE.extend(layout_prediction.slot_tag_table())
  return _TABLE


def encode_value(row, value_dtype):
  if value_dtype == "string":
    return b"".join(struct.pack("<I", len(bytes.fromhex(v))) + bytes.fromhex(v) for v in row)
  if value_dtype == "bfloat16":
    return b"".join(struct.pack("<f", v)[2:] for v in row)
  return b"".join(struct.pack(_PACK[value_dtype], v) for v in row)


def decode_key(key, key_dtype):
  return bytes.fromhex(key) if key_dtype == "string" else key


def expected_buckets(record):
  """Bucket names (bytes) upstream should use for the runtime table of this record."""
  cfg = record["config"]
  slices = cfg.get("storage_slice", 1)
  name = f"{cfg.get('model_tag_runtime', 'test')}:{record['embedding_name']}".encode()
  prefix = layout_prediction.md5_64bit_words(name) if cfg.get("using_md5_prefix_name") else name
  explicit = cfg.get("redis_hash_tags_runtime", [])
  if len(explicit) == slices:
    tags = [t if t.startswith("{") and t.endswith("}") else "{" + t.strip("{}") + "}"
            for t in explicit]
  elif record["deployment"] == "cluster" and not cfg.get("redis_hash_tags_hypodispersion"):
    ranges = [(first, last) for _, first, last in record["cluster_masters"]]
    tags = ["{%d}" % t for t in layout_prediction.cluster_tags(slices, ranges, _slot_table())]
  else:
    tags = ["{%d}" % t for t in layout_prediction.standalone_tags(slices, _slot_table())]
  return [prefix + t.encode() for t in tags]


def _expected_bucket_index(record, key):
  cfg = record["config"]
  if record["deployment"] != "cluster":
    return 0
  if record["key_dtype"] == "string" and len(key) > 22:
    return None  # upstream hashes heap pointers: not predictable
  return layout_prediction.cluster_bucket(key, record["key_dtype"], cfg.get("storage_slice", 1),
                                    cfg.get("using_hash_storage_slice", False))


def _node_of_slot(record, slot):
  for node, (_, first, last) in enumerate(record["cluster_masters"]):
    if first <= slot <= last:
      return node
  return None


def check_case(record):
  """{"bucket_names", "placement", "values", "nodes": "ok" | [problems]} for one record."""
  if "inserted" not in record or "redis" not in record:
    return {"note": "no generic layout check for this case"}
  buckets = expected_buckets(record)
  holder = {}  # field hex -> (bucket hex, value hex)
  for key_hex, entry in record["redis"].items():
    for field, value in entry.get("fields", {}).items():
      if bytes.fromhex(key_hex) in buckets:
        holder[field] = (key_hex, value)
  problems = {"bucket_names": [], "placement": [], "values": [], "nodes": []}
  for key, row in record["inserted"]:
    raw = decode_key(key, record["key_dtype"])
    field = layout_prediction.key_bytes(raw, record["key_dtype"]).hex()
    if field not in holder:
      problems["placement"].append(f"key {key}: field {field} not in any expected bucket")
      continue
    bucket_hex, value_hex = holder[field]
    index = _expected_bucket_index(record, raw)
    if index is not None and buckets[index].hex() != bucket_hex:
      problems["placement"].append(
          f"key {key}: in {bucket_hex}, predicted bucket {index} ({buckets[index].hex()})")
    want = encode_value(row, record["value_dtype"]).hex()
    if want != value_hex:
      problems["values"].append(f"key {key}: stored {value_hex}, predicted {want}")
  for key_hex, entry in record["redis"].items():
    if entry["type"] == "hash" and bytes.fromhex(key_hex) not in buckets:
      problems["bucket_names"].append(f"unexpected hash {entry['name']}")
    if record["deployment"] == "cluster":
      node = _node_of_slot(record, layout_prediction.key_slot(bytes.fromhex(key_hex)))
      if node != entry["node"]:
        problems["nodes"].append(f"{entry['name']} on node {entry['node']}, slot says {node}")
  if record["kind"] == "insert":
    problems["monitor_bucket_names"] = _check_monitored_names(record, buckets)
  result = {k: (v or "ok") for k, v in problems.items()}
  result["predicted_buckets"] = [readable(b) for b in buckets]
  return result


def _check_monitored_names(record, buckets):
  """The HLEN targets upstream sent (size() covers every runtime bucket) must be `buckets`."""
  seen = sorted({d["command"][len("HLEN "):] for d in record["monitor"]["distinct"]
                 if d["command"].startswith("HLEN ")})
  want = sorted(readable(b) for b in buckets)
  if not seen:
    return ["no HLEN seen"]
  return [] if seen == want else [f"HLEN targets {seen}, predicted {want}"]


def layout_facts():
  """Predictions independent of any case, for the index file."""
  table = _slot_table()
  masters = [(0, 5460), (5461, 10922), (10923, 16383)]
  return {
      "md5_64bit_words": {s: layout_prediction.md5_64bit_words(s.encode()).hex()
                          for s in ("test:emb", "", "v1:emb")},
      "standalone_tags": {s: layout_prediction.standalone_tags(s, table) for s in (1, 2, 3, 4, 8)},
      "cluster_tags_3_masters": {s: layout_prediction.cluster_tags(s, masters, table)
                                 for s in (1, 2, 3, 4, 8)},
      "crc32c_no_final_xor_int64": {k: "%08x" % layout_prediction.crc32c_no_final_xor(
          layout_prediction.key_bytes(k, "int64")) for k in (0, 1, 2, 3)},
      "crc32c_tstring_abc": "%08x" % layout_prediction.crc32c_no_final_xor(
          layout_prediction.tstring_small_bytes(b"abc")),
  }

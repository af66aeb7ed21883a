"""The cases of the reverse compatibility check: tables this project writes and TFRA 0.8.1 reads.

Cases with "files" go through save_to_file_system (ours) and load_from_file_system (upstream)
instead of reading Redis directly. Only layouts upstream reads are listed: every dtype with
storage_slice 1 (standalone, where upstream ignores buckets, and cluster), and storage_slice >
1 in Cluster mode with numeric keys (mod and CRC bucketing, int32 and int64, an MD5 prefix).
Cluster tables with string keys and storage_slice > 1, and standalone/Sentinel tables with
storage_slice > 1, are placed differently on purpose (docs/compatibility.md) and are not
listed.

Data is deterministic, JSON-exact (floats are multiples of 1/8 that half and bfloat16 hold
exactly) and written as in the golden files: int keys as ints, string keys and values as hex.
Stdlib only: the driver imports this under any Python.
"""

DIM_BY_DTYPE = {"string": 2, "bool": 3}


def _keys(key_dtype, count):
  if key_dtype == "string":
    # Empty, binary and long (> 22 bytes, TF's heap string layout) keys.
    keys = [b"", b"\x00\xff", b"k" * 40] + [b"key-%d" % i for i in range(count - 3)]
    return [k.hex() for k in keys]
  edges = [0, -1, 1, 2**31 - 1, -2**31]
  if key_dtype == "int64":
    edges += [2**32, 2**32 + 1, 2**63 - 1, -2**63, 1099511627781]
  return edges + [i * 7919 - 30000 for i in range(count - len(edges))]


def _row(value_dtype, index, dim):
  if value_dtype == "string":
    return [(b"v%d" % index).hex(), (b"\x00\xff" * (index % 3)).hex()][:dim]
  if value_dtype == "bool":
    return [index % 2 == 0, index % 3 == 0, True][:dim]
  if value_dtype in ("int32", "int64", "int8"):
    return [((index * 7 + j) % 200) - 100 for j in range(dim)]
  # Multiples of 1/8 below 32: exact in half, bfloat16, float32 and float64.
  return [((index * 5 + j) % 256) / 8.0 - 16.0 for j in range(dim)]


def _case(name, deployment, key_dtype, value_dtype, count=120, files=False, **config):
  dim = DIM_BY_DTYPE.get(value_dtype, 4)
  keys = _keys(key_dtype, count)
  return {
      "files": files,
      "name": name,
      "deployment": deployment,
      "embedding_name": "rc_" + name,
      "key_dtype": key_dtype,
      "value_dtype": value_dtype,
      "dim": dim,
      "config": dict(config, table_store_mode=0),
      "inserted": [[k, _row(value_dtype, i, dim)] for i, k in enumerate(keys)],
      "missing_key": "6e6f7065" if key_dtype == "string" else 987654321,
  }


def cases():
  """Every case, names of equal length so no table name is a prefix of another."""
  standalone = [
      _case("s01_i64_f32", "standalone", "int64", "float32", keys_sending_size=16),
      _case("s02_i64_f64", "standalone", "int64", "float64"),
      _case("s03_i64_i32", "standalone", "int64", "int32"),
      _case("s04_i64_i64", "standalone", "int64", "int64"),
      _case("s05_i64_i8_", "standalone", "int64", "int8"),
      _case("s06_i64_f16", "standalone", "int64", "half"),
      _case("s07_i64_bf6", "standalone", "int64", "bfloat16"),
      _case("s08_i64_str", "standalone", "int64", "string"),
      _case("s09_i32_f32", "standalone", "int32", "float32"),
      _case("s10_i32_i32", "standalone", "int32", "int32"),
      _case("s11_i32_f64", "standalone", "int32", "float64"),
      _case("s12_i32_bf6", "standalone", "int32", "bfloat16"),
      _case("s13_str_f32", "standalone", "string", "float32"),
      _case("s14_str_bol", "standalone", "string", "bool"),
      _case("s15_str_i64", "standalone", "string", "int64"),
      _case("s16_str_i8_", "standalone", "string", "int8"),
      _case("s17_md5_f32", "standalone", "int64", "float32", using_md5_prefix_name=True),
      _case("s18_tag_f32", "standalone", "int64", "float32", model_tag_runtime="v2",
            model_tag_import="v2"),
  ]
  cluster = [
      _case("c01_s1_mod__", "cluster", "int64", "float32", storage_slice=1),
      _case("c02_s2_mod__", "cluster", "int64", "float32", storage_slice=2),
      _case("c03_s3_crc__", "cluster", "int64", "float32", storage_slice=3,
            using_hash_storage_slice=True),
      _case("c04_s4_mod__", "cluster", "int64", "float64", storage_slice=4,
            keys_sending_size=8),
      _case("c05_s8_crc__", "cluster", "int64", "int32", storage_slice=8,
            using_hash_storage_slice=True),
      _case("c06_s4_i32m_", "cluster", "int32", "float32", storage_slice=4),
      _case("c07_s4_i32c_", "cluster", "int32", "float32", storage_slice=4,
            using_hash_storage_slice=True),
      _case("c08_s4_md5__", "cluster", "int64", "float32", storage_slice=4,
            using_md5_prefix_name=True),
      _case("c09_s1_str__", "cluster", "string", "float32", storage_slice=1),
      _case("c10_s2_i64s_", "cluster", "int64", "string", storage_slice=2),
  ]
  # save_to_file_system files written by ours, loaded by upstream's load_from_file_system
  # into a table of its own (embedding name + "_ld"), then read back.
  files = [
      _case("f01_files_sa", "standalone", "int64", "float32", files=True),
      _case("f02_files_cl", "cluster", "int32", "float64", storage_slice=2, files=True),
  ]
  return standalone + cluster + files

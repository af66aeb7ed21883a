"""Independent re-derivation of upstream TFRA 0.8's Redis key layout, to check golden data.

Written from a description of the layout (bucket hash tags and bucket choice, as
docs/design/redis_backend.md "Buckets and hash tags" states them), not from upstream code;
make_redis_golden.py compares these predictions with what upstream actually wrote.
"""

import struct

_MASK32 = 0xFFFFFFFF
_MASK64 = 0xFFFFFFFFFFFFFFFF
SLOTS = 16384


def crc16_xmodem(data):
  crc = 0
  for byte in data:
    crc ^= byte << 8
    for _ in range(8):
      crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
      crc &= 0xFFFF
  return crc


def key_slot(key):
  """Redis Cluster slot of a key (honours the first non-empty {tag})."""
  start = key.find(b"{")
  if start >= 0:
    end = key.find(b"}", start + 1)
    if end > start + 1:
      key = key[start + 1:end]
  return crc16_xmodem(key) % SLOTS


def slot_tag_table():
  """T[s]: the smallest non-negative integer whose decimal string hashes to slot s."""
  table, found, n = [None] * SLOTS, 0, 0
  while found < SLOTS:
    slot = crc16_xmodem(str(n).encode()) % SLOTS
    if table[slot] is None:
      table[slot] = n
      found += 1
    n += 1
  return table


def standalone_tags(slices, table):
  """Tags without cluster topology: bucket i -> T[q*i + r], q = 16384 div S, r = 16384 mod S."""
  q, r = divmod(SLOTS, slices)
  return [table[q * i + r] for i in range(slices)]


def cluster_tags(slices, master_ranges, table):
  """Tags from the sorted (first, last) slot ranges of the masters (hypodispersion false)."""
  ranges = sorted(set(master_ranges))
  m = len(ranges)
  if m >= slices:
    return [table[ranges[i][0]] for i in range(slices)]
  tags = []
  for i in range(slices):
    first, last = ranges[i % m]
    tags.append(table[first + (i // m) * ((last - first) * m // slices)])
  return tags


def crc32c_no_final_xor(data):
  crc = _MASK32
  for byte in data:
    crc ^= byte
    for _ in range(8):
      crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
  return crc


def key_bytes(key, key_dtype):
  if key_dtype == "int64":
    return struct.pack("<q", key)
  if key_dtype == "int32":
    return struct.pack("<i", key)
  return key  # string keys are bytes already


def tstring_small_bytes(key):
  """The first len(key) bytes of a TF small-layout tstring object (len <= 22)."""
  return (bytes([(len(key) << 2) & 0xFF]) + key)[:len(key)]


def cluster_bucket(key, key_dtype, slices, using_hash):
  """Bucket index of a key in Cluster mode (spec 4.4)."""
  if key_dtype == "string":
    return crc32c_no_final_xor(tstring_small_bytes(key)) % slices
  if using_hash:
    return crc32c_no_final_xor(key_bytes(key, key_dtype)) % slices
  return (key & _MASK32) % slices


# --- "MD5" with a 64-bit word type (RSA reference code compiled with unsigned long = 64 bit).

_S = [7, 12, 17, 22] * 4 + [5, 9, 14, 20] * 4 + [4, 11, 16, 23] * 4 + [6, 10, 15, 21] * 4
_K = [int(abs(__import__("math").sin(i + 1)) * 2**32) & _MASK32 for i in range(64)]


def _rotl64(x, n):
  # ROTATE_LEFT(x, n) = (x << n) | (x >> (32 - n)) evaluated on 64-bit words.
  return ((x << n) | (x >> (32 - n))) & _MASK64


def _transform64(state, block):
  words = struct.unpack("<16I", block)
  a, b, c, d = state
  for i in range(64):
    if i < 16:
      f, g = (b & c) | (~b & _MASK64 & d), i
    elif i < 32:
      f, g = (b & d) | (c & ~d & _MASK64), (5 * i + 1) % 16
    elif i < 48:
      f, g = b ^ c ^ d, (3 * i + 5) % 16
    else:
      f, g = c ^ (b | (~d & _MASK64)), (7 * i) % 16
    a = (a + f + words[g] + _K[i]) & _MASK64
    a = (_rotl64(a, _S[i]) + b) & _MASK64
    a, b, c, d = d, a, b, c
  return [(s + v) & _MASK64 for s, v in zip(state, (a, b, c, d))]


def md5_64bit_words(data):
  """The 16-byte digest upstream's md5.h produces on LP64 (not standard MD5)."""
  state = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476]
  bit_len = (len(data) * 8) & _MASK64
  padded = data + b"\x80" + b"\x00" * ((55 - len(data)) % 64)
  padded += struct.pack("<II", bit_len & _MASK32, (bit_len >> 32) & _MASK32)
  for offset in range(0, len(padded), 64):
    state = _transform64(state, padded[offset:offset + 64])
  return b"".join(struct.pack("<I", s & _MASK32) for s in state)

"""The op-library chain: C++ op -> .so -> tf.load_op_library -> Python wrapper.

Slots computed by our op must equal what a real Redis Cluster reports for the
same keys (CLUSTER KEYSLOT), including hash tags and binary bytes.
"""

import os
import subprocess
import sys

import pytest
import tensorflow as tf

from tensorflow_recommenders_addons.dynamic_embedding.python.ops import redis_table_ops
from tools.testing import redis_servers

_KEYS = [
    b"foo",
    b"test:emb{3560}",
    b"test:emb{8209}",
    b"{user1000}.following",
    b"foo{}{bar}",
    b"emb with spaces %s {42}",
    b"\x00\xffbinary",
    b"",
]


@pytest.fixture(scope="module")
def cluster():
  with redis_servers.cluster() as deployment:
    yield deployment


def test_slots_match_cluster_keyslot_of_a_real_cluster(cluster):
  node_port = cluster.describe()["nodes"][0]["port"]
  expected = []
  for key in _KEYS:
    # redis-cli -x reads the last argument from stdin, binary-safe.
    out = subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", str(node_port), "-x",
         "CLUSTER", "KEYSLOT"],
        input=key, capture_output=True, check=True).stdout
    expected.append(int(out.strip()))
  slots = redis_table_ops.redis_hash_slot(tf.constant(_KEYS)).numpy()
  assert slots.tolist() == expected


def test_output_keeps_the_input_shape():
  keys = tf.constant([[b"a", b"b"], [b"c", b"d"]])
  assert redis_table_ops.redis_hash_slot(keys).shape == (2, 2)


def test_works_inside_tf_function():
  fn = tf.function(redis_table_ops.redis_hash_slot)
  assert fn(tf.constant([b"test:emb{3560}"])).numpy().tolist() == [0]


def test_op_library_links_only_tensorflow_and_the_c_runtime():
  path = redis_table_ops.redis_table_ops.path
  out = subprocess.run(["readelf", "-d", path], capture_output=True,
                       text=True, check=True).stdout
  needed = sorted(line.split("[")[1].split("]")[0]
                  for line in out.splitlines() if "(NEEDED)" in line)
  allowed = {"libtensorflow_framework.so.2", "libstdc++.so.6", "libm.so.6",
             "libgcc_s.so.1", "libc.so.6", "libpthread.so.0", "libdl.so.2",
             "librt.so.1", "ld-linux-x86-64.so.2"}
  assert set(needed) <= allowed, needed
  assert "libtensorflow_framework.so.2" in needed
  # hiredis and json-parser are linked in statically.
  assert not any("hiredis" in lib or "json" in lib for lib in needed)


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

"""TLS to Redis through the ops, in a process where TensorFlow's own TLS
library (BoringSSL, inside libtensorflow_framework.so.2) is loaded too.

The op library links OpenSSL 3 statically and exports none of its symbols,
so the two never bind to each other's functions; the first test shows both
halves of that, the others that TLS then works and fails as documented.
"""

import os
import re
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import redis_table_ops
from tensorflow_recommenders_addons.utils import resource_loader
from tools.testing import redis_servers

# Names OpenSSL and BoringSSL share.
_SSL_SYMBOL = re.compile(
    r" (SSL|SSL_CTX|EVP|BIO|X509|ERR|CRYPTO|OPENSSL|TLS)_\w+$")


def _exported(library):
  """Names of the functions and data `library` exports (defined, dynamic)."""
  out = subprocess.run(["nm", "-D", "--defined-only", library],
                       capture_output=True, text=True, check=True).stdout
  return {line.split()[-1] for line in out.splitlines() if line.strip()}


def test_op_library_exports_no_tls_symbol_tensorflow_also_exports():
  framework = os.path.join(os.path.dirname(tf.__file__),
                           "libtensorflow_framework.so.2")
  ops_library = resource_loader.get_path_to_datafile(
      redis_table_ops.redis_table_ops.relative_path)
  tf_tls = {s for s in _exported(framework) if _SSL_SYMBOL.search(" " + s)}
  ours = {s for s in _exported(ops_library) if _SSL_SYMBOL.search(" " + s)}
  assert "SSL_new" in tf_tls  # the clash there would be, were they exported
  assert not ours, sorted(ours)[:20]


@pytest.fixture(scope="module", params=["standalone", "cluster"])
def tls_deployment(request):
  launch = {"standalone": redis_servers.standalone,
            "cluster": redis_servers.cluster}[request.param]
  with launch(tls=True) as deployment:
    yield deployment


def _table(deployment, tmp_path, name="emb", **overrides):
  path = deployment.write_table_config(
      str(tmp_path / "tls.json"), table_store_mode=2,
      model_tag_runtime=name, model_tag_import=name, **overrides)
  return redis_table_ops.RedisTable(
      tf.int64, tf.float32, tf.fill([4], -1.0), name=name,
      config=de.RedisTableConfig(redis_config_abs_dir=path))


def test_table_trains_and_serves_over_tls(tls_deployment, tmp_path):
  table = _table(tls_deployment, tmp_path, name="tls_rows", storage_slice=4)
  keys = tf.range(200, dtype=tf.int64)
  table.insert(keys, tf.ones([200, 4]))
  table.accum(keys, tf.fill([200, 4], 2.0), tf.ones([200], tf.bool))
  np.testing.assert_array_equal(table.lookup(keys).numpy(),
                                np.full([200, 4], 3.0))
  assert table.size().numpy() == 200
  # The plain ports hold the same data: it went over TLS to these servers.
  plain = tls_deployment.node_ports("master")
  stored = sum(int(tls_deployment.redis_cli(port, "DBSIZE")) for port in plain)
  assert stored >= 4


def test_wrong_ca_fails_with_a_certificate_error(tls_deployment, tmp_path):
  files = tls_deployment.describe()["tls"]
  with pytest.raises(tf.errors.FailedPreconditionError,
                     match="certificate not accepted"):
    _table(tls_deployment, tmp_path, name="wrong_ca",
           redis_tls_ca_file=files["client_cert"])


def test_other_server_name_fails_with_a_certificate_error(tls_deployment,
                                                          tmp_path):
  with pytest.raises(tf.errors.FailedPreconditionError,
                     match="certificate not accepted"):
    _table(tls_deployment, tmp_path, name="wrong_name",
           redis_tls_server_name="redis.example.com")


def test_plain_server_fails_the_handshake_within_the_timeout(tmp_path):
  # A plain server takes the TLS hello for the start of a command and waits
  # for the rest: to the client, a server that does not answer in time.
  with redis_servers.standalone() as plain:
    with pytest.raises(tf.errors.UnavailableError,
                       match="TLS handshake: Resource temporarily"):
      _table(plain, tmp_path, name="not_tls", redis_tls=True,
             redis_socket_timeout=300)


def test_server_that_requires_client_certificates(tmp_path):
  with redis_servers.standalone(tls=True, tls_client_certs=True) as mutual:
    table = _table(mutual, tmp_path, name="mutual")
    table.insert(tf.constant([1], tf.int64), tf.ones([1, 4]))
    assert table.size().numpy() == 1
    with pytest.raises((tf.errors.UnavailableError,
                        tf.errors.FailedPreconditionError)):
      _table(mutual, tmp_path, name="no_cert", redis_tls_cert_file="",
             redis_tls_key_file="")


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))

"""TLS for test deployments: a private CA and certificates, made with the
openssl command line in the deployment's folder, and the redis.conf lines
that serve TLS with them.

Every node keeps its plain port (the launcher's own health checks use it)
and gets a TLS port beside it; clients of a TLS deployment are given the TLS
ports (Deployment.table_config). The server certificate names 127.0.0.1 and
localhost; the client certificate is for servers that require one.
"""

import collections
import os
import subprocess

from tools.testing.redis_process import RedisServersError
from tools.testing.redis_process import quote

TlsFiles = collections.namedtuple(
    "TlsFiles", "ca_file server_cert server_key client_cert client_key")

_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def _openssl(args, folder):
  try:
    subprocess.run(["openssl"] + args, cwd=folder, check=True,
                   capture_output=True, timeout=30)
  except (OSError, subprocess.SubprocessError) as e:
    detail = getattr(e, "stderr", b"") or b""
    raise RedisServersError(
        f"openssl {args[0]} failed (install the Debian package openssl): "
        f"{e} {detail.decode(errors='replace')}") from e


def _signed(folder, name, subject, extensions):
  """Key and certificate `name`.{key,crt}, signed by the folder's CA."""
  with open(os.path.join(folder, name + ".ext"), "w", encoding="utf-8") as f:
    f.write("\n".join(extensions) + "\n")
  _openssl(["req", "-new"] + _KEY + ["-keyout", name + ".key", "-out",
                                     name + ".csr", "-subj", subject], folder)
  _openssl(["x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey",
            "ca.key", "-CAcreateserial", "-days", "3", "-out", name + ".crt",
            "-extfile", name + ".ext"], folder)


def make_certificates(folder):
  """Writes a CA, a server and a client certificate into `folder` (made if
  missing); returns their TlsFiles."""
  os.makedirs(folder, exist_ok=True)
  _openssl(["req", "-x509", "-new"] + _KEY +
           ["-keyout", "ca.key", "-out", "ca.crt", "-days", "3", "-subj",
            "/CN=tfra-test-ca"], folder)
  # Cluster nodes also present the server certificate as clients of each
  # other's bus, hence clientAuth.
  _signed(folder, "server", "/CN=localhost", [
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "extendedKeyUsage=serverAuth,clientAuth"])
  _signed(folder, "client", "/CN=tfra-test-client",
          ["extendedKeyUsage=clientAuth"])
  path = lambda name: os.path.join(folder, name)  # pylint: disable=unnecessary-lambda-assignment
  return TlsFiles(path("ca.crt"), path("server.crt"), path("server.key"),
                  path("client.crt"), path("client.key"))


def server_settings(files, require_client_certs, cluster):
  """redis.conf lines serving TLS with `files` (the port is set per node)."""
  settings = [
      f"tls-cert-file {quote(files.server_cert)}",
      f"tls-key-file {quote(files.server_key)}",
      f"tls-ca-cert-file {quote(files.ca_file)}",
      "tls-auth-clients " + ("yes" if require_client_certs else "optional"),
      "tls-replication yes",
  ]
  if cluster:
    settings.append("tls-cluster yes")
  return settings

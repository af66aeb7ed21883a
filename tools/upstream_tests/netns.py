"""Running a command in a network namespace of its own: only a loopback, nothing else.

Upstream's tests are not ours to vet line by line, and one of them
(test_unable_connect_to_redis) makes the client resolve "999.999.999.999", which
glibc sends to the system's DNS resolver. Inside `unshare --net` the only
interface is a private loopback, so nothing the tests do can leave the machine,
and 127.0.0.1:6379 there is free whatever listens on the host's 6379.
Needs CAP_SYS_ADMIN (root in a container usually has it) and `ip` (iproute2).
"""

import shutil
import subprocess

_LOOPBACK_UP = 'ip link set lo up && exec "$@"'


def available():
  """True when this process may create a network namespace with a loopback."""
  if not (shutil.which("unshare") and shutil.which("ip")):
    return False
  probe = subprocess.run(["unshare", "--net", "sh", "-c", _LOOPBACK_UP, "sh", "true"],
                         capture_output=True, check=False)
  return probe.returncode == 0


def wrap(argv):
  """`argv` run inside a fresh network namespace whose loopback is up."""
  return ["unshare", "--net", "sh", "-c", _LOOPBACK_UP, "sh"] + list(argv)

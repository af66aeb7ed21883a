"""A private redis-server on 127.0.0.1:6379, the address upstream's tests hard-code.

Built on the project's launcher (tools/testing/redis_process.py): same config
shape (no persistence), same death signal, same "is it really ours" check.
"""

import contextlib
import os
import socket

from tools.testing import redis_process

PORT = 6379


class PortTaken(RuntimeError):
  """Something else listens on 6379; the tool will not touch it."""


def refuse_if_taken():
  """Raises PortTaken unless 127.0.0.1:6379 can be bound now."""
  with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    try:
      s.bind((redis_process.HOST, PORT))
    except OSError as e:
      raise PortTaken(
          f"{redis_process.HOST}:{PORT} is in use ({e}); upstream's tests hard-code "
          "that address and FLUSH/clear what they find there, so this tool only runs "
          "with the port free. Stop whatever listens there and try again.") from e


@contextlib.contextmanager
def private_redis(work_dir):
  """Starts redis-server on 6379 with its files under `work_dir`; kills it on exit."""
  root = os.path.join(work_dir, "redis")
  os.makedirs(root)
  server = redis_process.RedisProcess("redis", 0, root, "master",
                                      ['save ""', "appendonly no"])
  server.configure(PORT)
  server.launch()
  try:
    server.wait_answers(password=None)
    yield server
  finally:
    server.kill()

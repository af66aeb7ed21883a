"""The C library of the operator's tool (_redis_admin.so), through ctypes.

One function, `run(command, **arguments)`, sends one command as a JSON
request and returns the answer's result (see core/lib/redis_admin/c_api.h
for the protocol). The library holds the table logic and the Redis client
(hiredis inside), not TensorFlow, so loading it takes milliseconds.
"""

import ctypes
import json
import os

_LIBRARY = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "_redis_admin.so")
_ABI_VERSION = 1

_PROGRESS = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_int64,
                             ctypes.c_int64)


class AdminError(Exception):
  """A command failed; `code` is the status name ("NOT_FOUND", ...)."""

  def __init__(self, code, message):
    super().__init__("%s: %s" % (code, message))
    self.code = code
    self.message = message


class _Library:
  """The loaded library, once per process."""
  handle = None

  @classmethod
  def get(cls):
    if cls.handle is None:
      if not os.path.exists(_LIBRARY):
        raise AdminError(
            "NOT_FOUND",
            "%s is missing: build it with `bazel build //tensorflow_"
            "recommenders_addons/...` or install the wheel" % _LIBRARY)
      library = ctypes.CDLL(_LIBRARY)
      library.tfra_redis_admin_abi_version.restype = ctypes.c_int
      library.tfra_redis_admin_run.restype = ctypes.c_void_p
      library.tfra_redis_admin_run.argtypes = [
          ctypes.c_char_p, ctypes.c_size_t, _PROGRESS, ctypes.c_void_p
      ]
      library.tfra_redis_admin_free.argtypes = [ctypes.c_void_p]
      version = library.tfra_redis_admin_abi_version()
      if version != _ABI_VERSION:
        raise AdminError(
            "FAILED_PRECONDITION",
            "%s speaks ABI version %d, this Python code %d: reinstall the "
            "package" % (_LIBRARY, version, _ABI_VERSION))
      cls.handle = library
    return cls.handle


def _text(value):
  """Answer strings carry bytes as code points 0-255; Redis names are
  UTF-8 text almost always, so show them as such (other bytes as \\xNN)."""
  if isinstance(value, str):
    return value.encode("latin-1").decode("utf-8", "backslashreplace")
  if isinstance(value, list):
    return [_text(v) for v in value]
  if isinstance(value, dict):
    return {_text(k): _text(v) for k, v in value.items()}
  return value


def run(command, progress=None, **arguments):
  """Runs `command` with `arguments` (None values left out).

  Args:
    command: "tables", "inspect", "plan", "hot", "copy_tag", "rename_tag",
      "drop_tag", "expire_tag", "rebucket", "export" or "import".
    progress: called as progress(done, total) during long commands; return
      True to stop the command at its next safe point (AdminError
      "CANCELLED"). It must not raise.
    **arguments: the request's members ("config", "tag", ...).

  Returns:
    The answer: a dict with "config", "config_source", "warnings" and
    "result".

  Raises:
    AdminError: the command failed.
  """
  library = _Library.get()
  request = {"command": command}
  request.update({k: v for k, v in arguments.items() if v is not None})
  data = json.dumps(request).encode("ascii")

  def report(_, done, total):
    try:
      return 1 if progress(done, total) else 0
    except BaseException:  # pylint: disable=broad-except
      return 1  # an exception cannot cross into C: stop instead

  callback = _PROGRESS(report) if progress else _PROGRESS()
  address = library.tfra_redis_admin_run(data, len(data), callback, None)
  if not address:
    raise AdminError("INTERNAL", "the admin library returned no answer")
  try:
    answer = json.loads(ctypes.string_at(address).decode("ascii"))
  finally:
    library.tfra_redis_admin_free(address)
  answer = _text(answer)
  if not answer.get("ok"):
    raise AdminError(answer.get("code", "UNKNOWN"), answer.get("message", ""))
  return answer

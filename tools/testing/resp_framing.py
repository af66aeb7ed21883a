"""Where RESP messages end in a byte buffer: commands and replies.

Enough of the Redis protocol for a proxy to count what passes: a command
(an array of bulk strings, or an inline line) with its arguments, and a
reply of any RESP2 or RESP3 type, nested arrays included. Nothing is
decoded beyond what framing needs.
"""

_CRLF = b"\r\n"
# Reply types that are one line, e.g. "+OK", ":12", "_" (RESP3 null).
_LINE_TYPES = frozenset(b"+-:_#,(")
# Length-prefixed types, e.g. "$3\r\nabc\r\n"; a length of -1 is a null.
_BLOB_TYPES = frozenset(b"$!=")
# Aggregates and how many values each announced element stands for.
_AGGREGATE_ITEMS = {ord("*"): 1, ord("~"): 1, ord(">"): 1, ord("%"): 2}
_ATTRIBUTE = ord("|")  # RESP3
PUSH = ord(">")  # RESP3 out-of-band data: not the reply to a command


class ProtocolError(ValueError):
  """The bytes are not RESP."""


def _header(buf, pos):
  """(number after the type byte, position after its line) or None."""
  end = buf.find(_CRLF, pos)
  if end < 0:
    return None
  try:
    return int(buf[pos + 1:end]), end + 2
  except ValueError:
    raise ProtocolError(f"bad length line {bytes(buf[pos:end])!r}") from None


def command_end(buf, pos):
  """The command starting at `pos`: (end, argv) or None while incomplete.

  argv is a list of bytes; an empty inline line gives argv [] (Redis skips
  it without a reply).

  Raises:
    ProtocolError: the bytes cannot start a command.
  """
  if pos >= len(buf):
    return None
  if buf[pos] != ord("*"):  # An inline command: words up to the newline.
    end = buf.find(b"\n", pos)
    if end < 0:
      return None
    return end + 1, bytes(buf[pos:end]).split()
  header = _header(buf, pos)
  if header is None:
    return None
  count, pos = header
  argv = []
  for _ in range(count):
    if pos >= len(buf):
      return None
    if buf[pos] != ord("$"):
      raise ProtocolError(f"command argument of type {chr(buf[pos])!r}")
    header = _header(buf, pos)
    if header is None:
      return None
    length, start = header
    if length < 0 or len(buf) < start + length + 2:
      if length < 0:
        raise ProtocolError("null bulk string in a command")
      return None
    argv.append(bytes(buf[start:start + length]))
    pos = start + length + 2
  return pos, argv


def reply_end(buf, pos):
  """The end of the reply starting at `pos`, or None while incomplete.

  Raises:
    ProtocolError: the bytes cannot start a reply.
  """
  values_left = 1
  while values_left:
    if pos >= len(buf):
      return None
    kind = buf[pos]
    if kind in _LINE_TYPES:
      end = buf.find(_CRLF, pos)
      if end < 0:
        return None
      pos, values_left = end + 2, values_left - 1
      continue
    if kind not in _BLOB_TYPES and kind not in _AGGREGATE_ITEMS and (
        kind != _ATTRIBUTE):
      raise ProtocolError(f"reply of unknown type {chr(kind)!r}")
    header = _header(buf, pos)
    if header is None:
      return None
    count, pos = header
    if kind in _BLOB_TYPES:  # count is the length; -1 is a null
      if count >= 0:
        if len(buf) < pos + count + 2:
          return None
        pos += count + 2
      values_left -= 1
    elif kind in _AGGREGATE_ITEMS:
      values_left += max(count, 0) * _AGGREGATE_ITEMS[kind] - 1
    else:  # An attribute: pairs, then the reply they describe.
      values_left += 2 * count
  return pos

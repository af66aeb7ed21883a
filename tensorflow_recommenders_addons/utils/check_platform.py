"""Which system and machine this process runs on.

Upstream's module of the same name (its tests import it at module level).
"""

import platform


def is_windows():
  return platform.system() == "Windows"


def is_macos():
  return platform.system() == "Darwin"


def is_linux():
  return platform.system() == "Linux"


def is_arm64():
  """64-bit ARM: "arm64" (macOS) or "aarch64" (Linux)."""
  return platform.machine() in ("arm64", "aarch64")


def is_raspi_arm():
  """32-bit ARM Linux, as on a Raspberry Pi ("armv7l")."""
  return is_linux() and platform.machine().startswith("armv7")

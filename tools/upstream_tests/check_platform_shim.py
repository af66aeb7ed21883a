"""Stand-in for `tensorflow_recommenders_addons.utils.check_platform` (upstream has it,
this package does not yet: issue 14 item 6).

run_upstream_redis_tests.py --check-platform-shim copies this file into the STAGED
package only, so that upstream's test modules import and their test methods can be
judged one by one. Without the flag the modules fail at import, as they do for a user.
"""

import platform


def is_windows():
  return platform.system() == "Windows"


def is_macos():
  return platform.system() == "Darwin"


def is_linux():
  return platform.system() == "Linux"


def is_arm64():
  return platform.machine() in ("arm64", "aarch64")


def is_raspi_arm():
  return is_linux() and platform.machine().startswith("arm")

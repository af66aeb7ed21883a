"""Where a Redis table's JSON config comes from: the Python side of the order.

The op kernel resolves the path again in whichever process builds it (so a
serving process can point at another Redis), with the same order; both sides
are tested against the shared cases in
`python/kernel_tests/testdata/config_path_cases.json`:

1. the environment variable *named* by `redis_config_abs_dir_env`, when that
   name is non-empty and the variable is set and non-empty;
2. else `TFRA_REDIS_CONFIG_PATH`, when set and non-empty;
3. else `redis_config_abs_dir`.

An unset or empty source falls through to the next one; a source that is set
wins even if its file is missing, which is then an error naming the path and
the source (never a silent fall-back to another file or to defaults).
"""

import collections
import os

GLOBAL_CONFIG_PATH_ENV_VAR = "TFRA_REDIS_CONFIG_PATH"

ConfigPathChoice = collections.namedtuple("ConfigPathChoice",
                                          ["path", "source", "description"])


class ConfigPathError(ValueError):
  """The config path cannot be resolved; `code` is a TF error-code name."""

  def __init__(self, code, message):
    super().__init__(message)
    self.code = code


def resolve_config_path(env_var_name, attr_path, environ=None):
  """Chooses the config file of a Redis table.

  Args:
    env_var_name: `RedisTableConfig.redis_config_abs_dir_env`: the NAME of an
      environment variable holding the path, or None/"".
    attr_path: `RedisTableConfig.redis_config_abs_dir`, or None/"".
    environ: mapping to read variables from (default `os.environ`).

  Returns:
    A `ConfigPathChoice(path, source, description)`, source being
    "attr_env", "global_env" or "attr_path".

  Raises:
    ConfigPathError: no source gives a path (code NOT_FOUND), the chosen file
      does not exist (NOT_FOUND) or is a directory (FAILED_PRECONDITION).
  """
  environ = os.environ if environ is None else environ
  choice = None
  if env_var_name and environ.get(env_var_name):
    choice = ConfigPathChoice(
        environ[env_var_name], "attr_env",
        "environment variable %s (named by redis_config_abs_dir_env)" %
        env_var_name)
  elif environ.get(GLOBAL_CONFIG_PATH_ENV_VAR):
    choice = ConfigPathChoice(environ[GLOBAL_CONFIG_PATH_ENV_VAR],
                              "global_env",
                              "environment variable %s" %
                              GLOBAL_CONFIG_PATH_ENV_VAR)
  elif attr_path:
    choice = ConfigPathChoice(attr_path, "attr_path", "redis_config_abs_dir")
  if choice is None:
    raise ConfigPathError(
        "NOT_FOUND",
        "No Redis config file given: set redis_config_abs_dir, or %s, or the "
        "environment variable named by redis_config_abs_dir_env%s." %
        (GLOBAL_CONFIG_PATH_ENV_VAR,
         " (%s is unset or empty)" % env_var_name if env_var_name else ""))
  if os.path.isdir(choice.path):
    raise ConfigPathError(
        "FAILED_PRECONDITION",
        "Redis config path %s (from %s) is a directory; it must name the "
        "JSON file." % (choice.path, choice.description))
  if not os.path.exists(choice.path):
    raise ConfigPathError(
        "NOT_FOUND", "Redis config file %s (from %s) does not exist." %
        (choice.path, choice.description))
  return choice

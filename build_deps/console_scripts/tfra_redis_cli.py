"""The `tfra-redis` console script (setup.py's entry point).

Runs the operator's tool, tensorflow_recommenders_addons.dynamic_embedding.
redis_admin, without importing the tensorflow_recommenders_addons package:
its __init__ imports TensorFlow, which takes seconds and which the tool does
not use (it reaches the table logic through a C library). The redis_admin
package imports only its own modules, relatively, so it is loaded here from
its folder under a private top-level name. `python -m tensorflow_recommenders_
addons.dynamic_embedding.redis_admin` runs the same code the ordinary way
(TensorFlow included).
"""

import importlib
import importlib.util
import os
import sys

_PRIVATE_NAME = "_tfra_redis_admin"


def _admin_cli():
  # find_spec of a top-level package locates it without importing it.
  spec = importlib.util.find_spec("tensorflow_recommenders_addons")
  if spec is None or not spec.submodule_search_locations:
    raise SystemExit("tfra-redis: tensorflow_recommenders_addons is not "
                     "installed")
  folder = os.path.join(spec.submodule_search_locations[0],
                        "dynamic_embedding", "redis_admin")
  package_spec = importlib.util.spec_from_file_location(
      _PRIVATE_NAME, os.path.join(folder, "__init__.py"),
      submodule_search_locations=[folder])
  package = importlib.util.module_from_spec(package_spec)
  sys.modules[_PRIVATE_NAME] = package
  package_spec.loader.exec_module(package)
  return importlib.import_module(_PRIVATE_NAME + ".cli")


def main():
  return _admin_cli().main()


if __name__ == "__main__":
  sys.exit(main())

"""Wheel metadata of tensorflow-recommenders-addons (Redis backend).

Not run by hand: build_deps/build_pip_pkg.sh runs it in a staging copy of the
package that Bazel built (Python sources plus the op library), then repairs
the wheel to a manylinux tag with auditwheel. See README.md, "Wheel".

The wheel is a platform wheel (it ships `_redis_table_ops.so`, `hmaccum.so`,
the HMACCUM module for Redis servers, and `_redis_admin.so`, the C library of
the tfra-redis console script) and requires
the TensorFlow minor release the op library was compiled against
(`BUILT_FOR_TF_VERSION` in tensorflow_recommenders_addons/version.py), the
same range tensorflow_recommenders_addons/utils/ensure_tf_install.py accepts
at import time. The requirement names `tensorflow-cpu`; set
TFRA_TF_PACKAGE=tensorflow when building a wheel for a GPU installation.
"""

import os

from setuptools import find_packages
from setuptools import setup
from setuptools.dist import Distribution

_ROOT = os.path.dirname(os.path.abspath(__file__))
_PACKAGE = "tensorflow_recommenders_addons"


def _version_info():
  """`__version__` and `BUILT_FOR_TF_VERSION` without importing the package
  (importing it imports TensorFlow)."""
  scope = {}
  with open(os.path.join(_ROOT, _PACKAGE, "version.py")) as source:
    exec(source.read(), scope)  # pylint: disable=exec-used
  return scope["__version__"], scope["BUILT_FOR_TF_VERSION"]


def _tensorflow_requirement(built_for):
  """`<tf package>>=X.Y.0,<X.(Y+1)`: the minor release the ops were built for."""
  major, minor = (int(part) for part in built_for.split(".")[:2])
  name = os.environ.get("TFRA_TF_PACKAGE", "tensorflow-cpu")
  return "%s>=%d.%d.0,<%d.%d" % (name, major, minor, major, minor + 1)


def _op_libraries():
  """Every .so under the package (the op library and the Redis module),
  relative to the package directory."""
  found = []
  package_dir = os.path.join(_ROOT, _PACKAGE)
  for folder, _, files in os.walk(package_dir):
    for name in files:
      if name.endswith(".so"):
        found.append(
            os.path.relpath(os.path.join(folder, name), package_dir))
  return sorted(found)


class BinaryDistribution(Distribution):
  """Marks the wheel as platform-specific: it carries compiled op libraries."""

  def has_ext_modules(self):
    return True

  def is_pure(self):
    return False


def _long_description():
  path = os.path.join(_ROOT, "README.md")
  if not os.path.exists(path):
    return ""
  with open(path, encoding="utf-8") as readme:
    return readme.read()


_VERSION, _BUILT_FOR_TF = _version_info()
_OP_LIBRARIES = _op_libraries()
if not _OP_LIBRARIES:
  # A wheel without the op library imports but fails on first use.
  raise SystemExit(
      "setup.py: no op library (.so) under %s/. Build the wheel with "
      "`bash build_deps/build_pip_pkg.sh`, which stages the package with the "
      "library Bazel built." % _PACKAGE)

setup(
    name="tensorflow-recommenders-addons",
    version=_VERSION,
    description=("Dynamic embeddings for TensorFlow with tables stored in "
                 "Redis (standalone, Sentinel or Cluster)."),
    long_description=_long_description(),
    long_description_content_type="text/markdown",
    license="Apache 2.0",
    packages=find_packages(
        include=[_PACKAGE, _PACKAGE + ".*"],
        exclude=["*.kernel_tests", "*.kernel_tests.*"]),
    package_data={_PACKAGE: _OP_LIBRARIES},
    include_package_data=True,
    exclude_package_data={"": ["*_test.py", "conftest.py"]},
    # tfra-redis, the operator's command line (docs/operations.md): a
    # top-level module of its own so that it starts without importing the
    # package, which imports TensorFlow.
    py_modules=["tfra_redis_cli"],
    entry_points={"console_scripts": ["tfra-redis = tfra_redis_cli:main"]},
    # rich draws tfra-redis' progress bars (Keras requires it too).
    install_requires=[_tensorflow_requirement(_BUILT_FOR_TF), "rich"],
    python_requires=">=3.9",
    distclass=BinaryDistribution,
    zip_safe=False,
    classifiers=[
        "Programming Language :: Python :: 3",
        "Operating System :: POSIX :: Linux",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)

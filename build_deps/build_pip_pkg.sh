#!/usr/bin/env bash
# Builds the wheel of tensorflow-recommenders-addons: the Python package and
# its op library, no test files, repaired by auditwheel to the manylinux tag
# the op library's symbol versions allow: TensorFlow's own manylinux_2_27 or
# older, even when built on a newer system (build_deps/manylinux pins what a
# newer glibc or GCC would raise; tools/testing/wheel_test.py checks it).
# libtensorflow_framework.so.2 stays a dependency on the installed TensorFlow;
# hiredis and json-parser are already linked into the op library statically.
#
# Two ways in, one script:
#   bash build_deps/build_pip_pkg.sh [OUT_DIR]
#       from a fresh clone: installs what is missing (tools/install_deps.sh),
#       configures Bazel, builds //:build_pip_pkg and runs it (below).
#   bazel build //:build_pip_pkg && bazel-bin/build_pip_pkg [OUT_DIR]
#       the packaging step alone, from the target's runfiles.
# OUT_DIR (default: wheelhouse/ under the current directory) receives the
# repaired wheel; its path is the last line printed.
#
# Environment: TFRA_PYTHON, the Python that builds and repairs the wheel
# (default: the repository's .venv, which has setuptools and auditwheel from
# requirements-dev.txt); TFRA_TF_PACKAGE, see setup.py; BAZEL_FLAGS, extra
# flags for `bazel build` in the first form (e.g. --jobs=2).
set -euo pipefail

readonly WORKSPACE_NAME="tf_recommenders_addons"
readonly TF_LIBRARY="libtensorflow_framework.so.2"

die() {
  echo "build_pip_pkg: $*" >&2
  exit 1
}

# ---- First form: from a source checkout --------------------------------------

build_from_checkout() {
  local repo_root out_dir
  repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  out_dir="$(mkdir -p "${1:-wheelhouse}" && cd "${1:-wheelhouse}" && pwd)"
  cd "${repo_root}"
  bash tools/install_deps.sh
  .venv/bin/python configure.py
  # shellcheck disable=SC2086  # BAZEL_FLAGS is a list of flags.
  bazel build ${BAZEL_FLAGS:-} //:build_pip_pkg
  exec bazel-bin/build_pip_pkg "${out_dir}"
}

# ---- Second form: from the runfiles of //:build_pip_pkg ----------------------

runfiles_root() {
  if [[ -n "${RUNFILES_DIR:-}" && -d "${RUNFILES_DIR}/${WORKSPACE_NAME}" ]]; then
    echo "${RUNFILES_DIR}/${WORKSPACE_NAME}"
  elif [[ -d "$0.runfiles/${WORKSPACE_NAME}" ]]; then
    echo "$0.runfiles/${WORKSPACE_NAME}"
  else
    return 1
  fi
}

# The Python with setuptools and auditwheel: TFRA_PYTHON, else the .venv of
# the checkout the runfiles point into.
choose_python() {
  local runfiles="$1" checkout
  if [[ -n "${TFRA_PYTHON:-}" ]]; then
    echo "${TFRA_PYTHON}"
    return
  fi
  checkout="$(dirname "$(readlink -f "${runfiles}/setup.py")")"
  [[ -x "${checkout}/.venv/bin/python" ]] \
    || die "no ${checkout}/.venv/bin/python; run tools/install_deps.sh or set TFRA_PYTHON"
  echo "${checkout}/.venv/bin/python"
}

# Copies the package out of the runfiles (symlinks resolved), without tests,
# and points the op library's RUNPATH at the installed TensorFlow instead of
# Bazel's output tree. (The HMACCUM Redis module, a .so that redis-server
# loads, needs only libc and keeps no RUNPATH.)
stage_sources() {
  local runfiles="$1" staging="$2" so
  cp -rL "${runfiles}/tensorflow_recommenders_addons" "${staging}/"
  cp -L "${runfiles}/setup.py" "${runfiles}/MANIFEST.in" "${runfiles}/README.md" "${staging}/"
  # The tfra-redis console script: a top-level module (setup.py says why).
  cp -L "${runfiles}/build_deps/console_scripts/tfra_redis_cli.py" "${staging}/"
  find "${staging}" \( -name '*_test.py' -o -name 'conftest.py' -o -name '__pycache__' \
    -o -name 'BUILD' -o -name '*.bzl' \) -prune -exec rm -rf {} +
  find "${staging}" -type d -name kernel_tests -prune -exec rm -rf {} +
  chmod -R u+w "${staging}"
  while IFS= read -r so; do
    # Only op libraries link TensorFlow (the tfra-redis library does not).
    patchelf --print-needed "${so}" | grep -qx "${TF_LIBRARY}" || continue
    # site-packages/tensorflow_recommenders_addons/<pkg>/core/x.so -> site-packages/tensorflow
    patchelf --set-rpath '$ORIGIN/../../../tensorflow' "${so}"
  done < <(find "${staging}/tensorflow_recommenders_addons" -name '*.so')
}

# The ops only load into the TensorFlow minor release they were built for.
check_tensorflow_version() {
  local python="$1" staging="$2"
  "${python}" - "${staging}/tensorflow_recommenders_addons/version.py" <<'PY'
import sys
scope = {}
exec(open(sys.argv[1]).read(), scope)
import tensorflow as tf
built_for = scope["BUILT_FOR_TF_VERSION"]
if tf.__version__.split(".")[:2] != built_for.split(".")[:2]:
  sys.exit("build_pip_pkg: version.py says BUILT_FOR_TF_VERSION=%s but the "
           "ops were built against TensorFlow %s (%s)" %
           (built_for, tf.__version__, sys.executable))
PY
}

staging=""  # global: removed by the EXIT trap

build_from_runfiles() {
  local runfiles="$1" out_arg="${2:-wheelhouse}" python out_dir raw wheel
  if [[ "${out_arg}" != /* && -n "${BUILD_WORKING_DIRECTORY:-}" ]]; then
    out_arg="${BUILD_WORKING_DIRECTORY}/${out_arg}"  # under `bazel run`
  fi
  out_dir="$(mkdir -p "${out_arg}" && cd "${out_arg}" && pwd)"
  python="$(choose_python "${runfiles}")"
  staging="$(mktemp -d -t tfra_wheel.XXXXXX)"
  trap 'rm -rf "${staging:?}"' EXIT
  mkdir -p "${staging}/src" "${staging}/dist"
  stage_sources "${runfiles}" "${staging}/src"
  check_tensorflow_version "${python}" "${staging}/src"

  echo "build_pip_pkg: building the wheel with ${python}"
  "${python}" -m pip wheel --quiet --no-deps --no-build-isolation \
    --disable-pip-version-check --wheel-dir "${staging}/dist" "${staging}/src"
  raw="$(find "${staging}/dist" -name '*.whl' | head -n 1)"
  [[ -n "${raw}" ]] || die "pip wheel produced no wheel"

  echo "build_pip_pkg: auditwheel repair $(basename "${raw}")"
  # Nothing is grafted (TensorFlow is excluded, the rest is static), so the
  # wheel needs no ELF patching beyond the RUNPATH set above: `--patcher none`
  # fails loudly should that ever change, and spares us auditwheel's
  # patchelf >= 0.14.5 requirement (Debian 12 ships 0.14.3).
  "${python}" -m auditwheel repair --exclude "${TF_LIBRARY}" --patcher none \
    --wheel-dir "${staging}/repaired" "${raw}"
  wheel="$(find "${staging}/repaired" -name '*.whl' | head -n 1)"
  [[ -n "${wheel}" ]] || die "auditwheel produced no wheel"
  rm -f "${out_dir}/$(basename "${wheel}")"
  cp "${wheel}" "${out_dir}/"
  echo "build_pip_pkg: $(du -h "${wheel}" | cut -f1) $(basename "${wheel}")"
  echo "${out_dir}/$(basename "${wheel}")"
}

main() {
  local runfiles
  if runfiles="$(runfiles_root)"; then
    build_from_runfiles "${runfiles}" "$@"
  else
    build_from_checkout "$@"
  fi
}

main "$@"

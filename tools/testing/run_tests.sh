#!/usr/bin/env bash
# Runs every test of the project: installs what is missing, configures Bazel
# for the installed TensorFlow, checks the code's shape, then `bazel test //...`
# (gtest and pytest targets; the tests start their own Redis servers), then the
# C++ client and table-logic tests again under AddressSanitizer and
# ThreadSanitizer, then the reverse compatibility check (TFRA 0.8.1 reads what
# our table wrote), then the wheel test (build the wheel, install it into a
# fresh virtualenv). Safe to run twice; the second run reuses Bazel's caches.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "${repo_root}"

bash tools/install_deps.sh
.venv/bin/python configure.py
bash tools/testing/check_code_shape.sh

summary_file="$(mktemp)"
trap 'rm -f "${summary_file}"' EXIT

run_bazel_tests() {
  local label="$1"
  shift
  echo "== bazel test ${label} =="
  set +e
  bazel test --test_summary=short "$@" 2>&1 | tee -a "${summary_file}"
  local status=${PIPESTATUS[0]}
  set -e
  return "${status}"
}

overall=0
run_bazel_tests "//..." //... || overall=1

# The TF-free C++ layers (core/lib/: Redis client and table logic) under the
# sanitizers (the op .so and the Python tests cannot load sanitizer runtimes
# into the Python interpreter, and TensorFlow's own library is not built
# with them).
sanitized_targets=(
  //tensorflow_recommenders_addons/dynamic_embedding/core/lib/...
)
for config in asan tsan; do
  run_bazel_tests "--config=${config}" --config="${config}" "${sanitized_targets[@]}" || overall=1
done

# ---- Reverse compatibility: upstream TFRA 0.8.1 (its own virtualenv, made on
# first use under ~/.cache or $TFRA081_VENV) reads back what our table wrote
# (tools/compat/reverse/check.sh; about 15 s, plus ~75 s the first time).
echo "== reverse compatibility (TFRA 0.8.1 reads ours) =="
if bash tools/compat/reverse/check.sh; then
  reverse_result="passed"
else
  reverse_result="FAILED"
  overall=1
fi

# ---- Packaging, after the Bazel tests: build the wheel and install it into a
# fresh virtualenv with only tensorflow-cpu (tools/testing/wheel_test.py; pip
# fetches tensorflow-cpu from PyPI on a cold cache).
echo "== wheel test =="
.venv/bin/python -m pytest -v -p no:cacheprovider tools/testing/wheel_test.py || overall=1

passed=$(grep -cE '^//.* PASSED' "${summary_file}" || true)
failed=$(grep -cE '^//.* (FAILED|TIMEOUT|NO STATUS|FLAKY)' "${summary_file}" || true)
echo "bazel: ${passed} passed, ${failed} failed"
echo "reverse compatibility with TFRA 0.8.1: ${reverse_result}"
exit "${overall}"

#!/usr/bin/env bash
# Reverse compatibility check for CI: upstream TFRA 0.8.1 must read back exactly
# what this project's Redis table writes (tools/compat/reverse/check.py).
#
#   tools/compat/reverse/check.sh [TFRA081_VENV_DIR]
#
# Creates the upstream virtualenv on first use (tools/compat/ensure_tfra081_venv.sh,
# about 75 s from PyPI; it defines where the venv lives), builds the op
# library, stages the Python package with it in a temp folder (the source
# tree is not touched) and runs the check against private Redis servers.
# Exit status 0 only when every case matched.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cd "${repo_root}"

tfra081_python="$(bash tools/compat/ensure_tfra081_venv.sh "${1:-}")"
so_target=//tensorflow_recommenders_addons/dynamic_embedding/core:_redis_table_ops.so
bazel build "${so_target}" >&2
so_path="$(bazel info bazel-bin 2>/dev/null)/tensorflow_recommenders_addons/dynamic_embedding/core/_redis_table_ops.so"

stage="$(mktemp -d -t tfra-reverse-stage-XXXXXX)"
trap 'rm -rf "${stage}"' EXIT
cp -r tensorflow_recommenders_addons "${stage}/"
install -m 0755 "${so_path}" \
  "${stage}/tensorflow_recommenders_addons/dynamic_embedding/core/_redis_table_ops.so"

ours_python="${TFRA_VENV:-${repo_root}/.venv}/bin/python"
"${ours_python}" tools/compat/reverse/check.py \
  --ours-python "${ours_python}" \
  --ours-pythonpath "${stage}" \
  --tfra081-python "${tfra081_python}"

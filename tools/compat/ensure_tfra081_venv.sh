#!/usr/bin/env bash
# Makes sure a virtualenv with upstream TFRA 0.8.1 exists and prints its
# python. Idempotent: a stamp file inside the venv records the pinned
# requirements it was completed with; a venv without the stamp (a run that
# was interrupted, or a venv made by hand) is completed by pip, which skips
# what is already installed. Packages come from PyPI only.
#
#   tools/compat/ensure_tfra081_venv.sh [VENV_DIR]
#
# VENV_DIR defaults to $TFRA081_VENV, else ~/.cache/tfra081-venv. Needs
# python3.11 (the newest Python TFRA 0.8.1 publishes wheels for).
set -euo pipefail

venv="${1:-${TFRA081_VENV:-${HOME}/.cache/tfra081-venv}}"
requirements=(tensorflow-cpu==2.16.2 tf-keras==2.16.0
  tensorflow-recommenders-addons==0.8.1)
stamp="${venv}/.tfra081-requirements"

up_to_date() {
  [[ -x "${venv}/bin/python" && -f "${stamp}" &&
    "$(cat "${stamp}")" == "${requirements[*]}" ]]
}

if up_to_date; then
  echo "${venv}/bin/python"
  exit 0
fi

mkdir -p "$(dirname "${venv}")"
# Two runs at once (e.g. two CI jobs on one machine) install only once.
exec 9>"${venv}.lock"
flock 9
if ! up_to_date; then
  base_python="${TFRA081_BASE_PYTHON:-$(command -v python3.11 || true)}"
  if [[ -z "${base_python}" ]]; then
    echo "ensure_tfra081_venv: python3.11 not found (set TFRA081_BASE_PYTHON)" >&2
    exit 1
  fi
  echo "ensure_tfra081_venv: installing ${requirements[*]} into ${venv}" >&2
  rm -f "${stamp}"
  [[ -x "${venv}/bin/python" ]] || "${base_python}" -m venv "${venv}"
  "${venv}/bin/python" -m pip install --quiet --disable-pip-version-check \
    "${requirements[@]}" >&2
  echo "${requirements[*]}" >"${stamp}"
fi
echo "${venv}/bin/python"

#!/usr/bin/env bash
# Installs everything the build and the tests need: Debian packages and a Python
# 3.11 virtual environment in .venv (git-ignored). Safe to run twice: each step
# checks what is already there and does only what is missing.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv_dir="${TFRA_VENV:-${repo_root}/.venv}"

apt_packages=(
  bazel-bootstrap libhiredis-dev libjsonparser-dev libgtest-dev libssl-dev
  openssl redis-server redis-tools redis-sentinel patchelf
)

missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("${pkg}")
done
if ((${#missing[@]})); then
  echo "install_deps: apt packages missing: ${missing[*]}"
  sudo_cmd=""
  [[ "$(id -u)" == 0 ]] || sudo_cmd="sudo"
  ${sudo_cmd} apt-get update -qq
  DEBIAN_FRONTEND=noninteractive ${sudo_cmd} apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
  # The Debian redis-server/redis-sentinel packages start system services on
  # the default ports; our tests start their own servers on free ports, so the
  # system ones are not needed. Stopping them is best effort (no systemd in CI).
  for svc in redis-server redis-sentinel; do
    service "${svc}" stop >/dev/null 2>&1 || true
  done
else
  echo "install_deps: apt packages present"
fi

python_bin="${TFRA_PYTHON:-$(command -v python3.11 || command -v python3)}"
if [[ ! -x "${venv_dir}/bin/python" ]]; then
  echo "install_deps: creating venv ${venv_dir} with ${python_bin}"
  "${python_bin}" -m venv "${venv_dir}"
fi
req="${repo_root}/requirements-dev.txt"
keras2_req="${repo_root}/requirements-keras2.txt"
stamp="${venv_dir}/.requirements.sha256"
want="$(sha256sum "${req}" "${repo_root}/requirements.txt" "${keras2_req}" | sha256sum | cut -d' ' -f1)"
if [[ ! -f "${stamp}" || "$(cat "${stamp}")" != "${want}" ]]; then
  echo "install_deps: installing Python requirements into ${venv_dir}"
  "${venv_dir}/bin/pip" install -q --disable-pip-version-check -r "${req}"
  # tf_keras (Keras 2), for the tests under TF_USE_LEGACY_KERAS=1; see the file.
  "${venv_dir}/bin/pip" install -q --disable-pip-version-check --no-deps \
    -r "${keras2_req}"
  echo "${want}" > "${stamp}"
else
  echo "install_deps: Python requirements present"
fi

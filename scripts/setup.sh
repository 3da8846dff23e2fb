#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian 12 machine and builds it:
#   1. Debian packages for the C++ build (only those missing; needs root or sudo),
#   2. a Python virtual environment for the harness, cached OUTSIDE the checkout and keyed by
#      harness/requirements.txt, so later runs reuse it,
#   3. the C++ build in build/.
# Prints nothing on success but progress; the venv's python is written to build/akg_python.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

apt_packages=(cmake g++ make pkg-config libgtest-dev libgmock-dev nlohmann-json3-dev
              libyaml-cpp-dev libcli11-dev libfmt-dev libcurl4-openssl-dev libsqlite3-dev
              libedit-dev python3-venv)
# The tests also drive a headless browser (the HTML report's page test).
if [ "${AKG_SETUP_TESTS:-0}" = 1 ]; then apt_packages+=(chromium); fi
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "[setup] installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q "${missing[@]}"
fi

py="${AKG_BASE_PYTHON:-python3}"
key="$( (cat harness/requirements.txt; "$py" -c 'import sys; print(sys.version)') | sha256sum | cut -c1-16)"
venv="${AKG_VENV_ROOT:-$HOME/.cache/akg}/venv-$key"
if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
  echo "[setup] creating the harness environment in $venv (torch, triton, numpy; a few minutes)"
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  "$py" -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q -r harness/requirements.txt
  touch "$venv/.complete"
fi

echo "[setup] building (cmake, build/)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" 2>&1 | grep -E "error|warning: unused|Error" || true
test -x build/akg_cli && test -x build/akg_tests
echo "$venv/bin/python" > build/akg_python

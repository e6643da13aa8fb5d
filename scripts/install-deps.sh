#!/usr/bin/env bash
# Install what fabricd needs on a Debian 12 machine: the system packages of
# scripts/apt-packages.txt (only those missing) and a virtual environment with
# the project and its test tools. Idempotent and quick when nothing changed.
#
#   scripts/install-deps.sh [VENV]      (default .venv)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${1:-.venv}
PYTHON=${PYTHON:-python3}

mapfile -t packages < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' -e 's/[[:space:]]//g' scripts/apt-packages.txt)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing system packages: ${missing[*]}; run as root (or: apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "install-deps: apt-get install ${missing[*]}"
  # Packages such as prometheus would start daemons on well-known ports: refuse
  # every service start during the install (policy-rc.d exit 101), unless the
  # machine already has a policy of its own.
  created_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  trap '[ -n "$created_policy" ] && rm -f /usr/sbin/policy-rc.d' EXIT
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

stamp="$VENV/.fabricd-installed"
want=$(sha256sum < pyproject.toml | cut -d" " -f1)
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -e '.[test]'
  echo "$want" > "$stamp"
fi

#!/usr/bin/env bash
# `make demo` / `make demo-down`.
#
# What exists today: the controller with its API (health, reflection). The lab,
# the CNI plugin and the seed scenario arrive with later issues; until then
# the demo starts fabricd on a unix socket, asks its health with fabricctl,
# and says what it could not show yet.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
STATE=${FABRIC_DEMO_DIR:-/run/fabricd-demo}
SOCK="$STATE/api.sock"

down() {
  if [ -f "$STATE/fabricd.pid" ]; then
    pid=$(cat "$STATE/fabricd.pid")
    if kill -0 "$pid" 2>/dev/null && grep -q fabricd "/proc/$pid/cmdline" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  fi
  rm -rf "$STATE"
  echo "demo: stopped and removed $STATE"
}

up() {
  down >/dev/null
  mkdir -p "$STATE"
  "$VENV/bin/fabricd" --listen "unix://$SOCK" --insecure >"$STATE/fabricd.log" 2>&1 &
  echo $! > "$STATE/fabricd.pid"
  for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
  "$VENV/bin/fabricctl" --server "unix://$SOCK" health
  cat <<EOT
demo: fabricd is running (pid $(cat "$STATE/fabricd.pid"), log $STATE/fabricd.log)
      try: $VENV/bin/fabricctl --server unix://$SOCK health
demo: NOT YET SHOWN: the lab, networks, pods and the ping matrix (later issues).
      stop it with: make demo-down
EOT
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac

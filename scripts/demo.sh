#!/usr/bin/env bash
# `make demo` / `make demo-down` (LAB=seed, the default, or LAB=seed-srl: the
# same fabric on SR Linux switches): the seed scenario of the founding design
# on this machine (root): the seed lab on its Linux dataplane (network
# namespaces, lldpd, FRR BGP EVPN, the switch emulators), fabricd on its
# embedded SQLite store, networks blue/green/red, pods attached through
# fabric-cni as Multus would, the ping matrix. It keeps running until
# `make demo-down`. K8S=1: the same through a Kubernetes API server of its
# own (kube-apiserver and etcd built by `make tools` into the tools cache):
# NADs and pods with kubectl, a kubelet per node.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
LAB=${2:-${LAB:-seed}}

if [ "$(id -u)" != 0 ]; then
  echo "demo: the lab creates network namespaces: run as root" >&2
  exit 2
fi

case "${1:-up}" in
  up)
    "$VENV/bin/python" scripts/seed-scenario.py down --lab "$LAB" >/dev/null 2>&1 || true  # a previous demo, if any
    if [ -n "${K8S:-}" ]; then
      # through the Kubernetes API: kube-apiserver and etcd come from the tools cache (make tools)
      python3 scripts/tools.py build
      exec "$VENV/bin/python" scripts/seed-scenario.py up --lab "$LAB" --k8s
    fi
    exec "$VENV/bin/python" scripts/seed-scenario.py up --lab "$LAB"
    ;;
  down)
    exec "$VENV/bin/python" scripts/seed-scenario.py down --lab "$LAB"
    ;;
  *)
    echo "usage: $0 up|down [seed|seed-srl]" >&2
    exit 2
    ;;
esac

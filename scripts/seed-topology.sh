#!/usr/bin/env bash
# Regenerates docs/seed-topology.png (shown in the README): the seed lab's
# switch emulators (fabric-lab up), a real fabricd discovering the cabling
# over LLDP merged with the lab's static port map, and
# `fabricctl topology -o png`. Leaves nothing running.
#
#   scripts/seed-topology.sh [OUTPUT.png]      (default docs/seed-topology.png)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
OUT=${1:-docs/seed-topology.png}
WORK=$(mktemp -d /tmp/fabricd-seedpic.XXXXXX)
LAB="$WORK/lab"
FABRICD_PID=""

cleanup() {
  if [ -n "$FABRICD_PID" ] && kill -0 "$FABRICD_PID" 2>/dev/null; then
    kill "$FABRICD_PID"
    wait "$FABRICD_PID" 2>/dev/null || true
  fi
  "$VENV/bin/fabric-lab" down seed --state-dir "$LAB" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

"$VENV/bin/fabric-lab" up labs/seed.clab.yml --dataplane none --state-dir "$LAB" >/dev/null
"$VENV/bin/fabric-lab" inventory seed --state-dir "$LAB" -o "$WORK/inventory.yml"
"$VENV/bin/fabric-lab" portmap labs/seed.clab.yml -o "$WORK/portmap.yml"
cat > "$WORK/fabricd.yml" <<EOT
api: {insecure: true, listen: ["unix://$WORK/api.sock"]}
store: {path: "$WORK/fabricd.db"}
inventory: "$WORK/inventory.yml"
port_map: "$WORK/portmap.yml"
topology: {mode: merged}
metrics: {listen: "127.0.0.1:0"}
EOT
"$VENV/bin/fabricd" --config "$WORK/fabricd.yml" 2>"$WORK/fabricd.log" &
FABRICD_PID=$!
CTL=("$VENV/bin/fabricctl" --server "unix://$WORK/api.sock")

# wait (at most a minute) until LLDP has confirmed every link of the lab
discovered='import json, sys
t = json.load(sys.stdin)
fabric = sum(x["kind"] == "fabric" for x in t["links"])
both = sum(x["source"] == "lldp+static" for x in t["links"])
sys.exit(0 if (fabric, both) == (2, 6) else 1)'
for _ in $(seq 300); do
  if "${CTL[@]}" -o json topology 2>/dev/null | "$VENV/bin/python" -c "$discovered" 2>/dev/null; then
    "${CTL[@]}" topology -o png --out "$OUT"
    "${CTL[@]}" topology
    exit 0
  fi
  sleep 0.2
done
echo "seed-topology: LLDP did not discover the seed lab within a minute; fabricd's log:" >&2
cat "$WORK/fabricd.log" >&2
exit 1

#!/usr/bin/env python3
"""The seed scenario end to end, the base of `make demo` (root).

    scripts/seed-scenario.py up    [--lab seed|seed-srl] [--state-dir DIR] [--metrics HOST:PORT] [--k8s]
    scripts/seed-scenario.py check [--lab seed|seed-srl] [--state-dir DIR]
    scripts/seed-scenario.py down  [--lab seed|seed-srl] [--state-dir DIR]

--lab: the seed fabric of the founding design on the openconfig platform
(labs/seed.clab.yml, the default) or on Nokia SR Linux (labs/seed-srl.clab.yml,
`make demo LAB=seed-srl`): the same wiring, networks, pods and matrix.

up: `fabric-lab up labs/<lab>.clab.yml` (Linux dataplane: namespaces, lldpd,
FRR, the emulators), fabricd as its own process on the lab's unix socket
with mutual TLS (SQLite store, metrics on --metrics; the lab CA issues its
certificate, fabricctl's operator certificate and one certificate and
fabric-cni node file per node), networks blue/green/red and their NADs
with fabricctl, pods on server1..3 with `fabric-lab pod create` (fabric-cni
as Multus runs it, each node with its own identity), `fabricctl switch list`
(each switch's platform and session); then `check`. Everything keeps running.

--k8s: the same through the Kubernetes API (labs/pods/kubescenario.py): a
bare kube-apiserver with its etcd from the tools cache (`make tools` builds
them), fabricd with kubernetes.enabled, the Node objects and a kubelet per
node (`fabric-lab pod create --kubeconfig --node`), NADs and pods created
with kubectl (blue bound to fabricctl's network, green and red created by
their NADs inside the namespace's grant).

check: the ping matrix between the pods, and a capture on the spine showing
the ICMP inside VXLAN VNI 1111. Exit 1 when something is not as expected.

down: delete the pods (DEL in reverse order: their VLANs leave the leaf
ports), read the leaves back over gNMI until no VNI and no switched port is
left (exit 1 if some is), stop fabricd, `fabric-lab down`.

Scenario details: labs/pods/scenario.py. State: /run/fabric-lab/<lab>
($FABRIC_LAB_STATE_DIR/<lab>, or --state-dir).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from labs.errors import LabError  # noqa: E402
from labs.pods import kubescenario, scenario  # noqa: E402
from labs.run import fabricd_proc, kube, runner  # noqa: E402
from labs.run.statefile import LabState  # noqa: E402

LABS = ("seed", "seed-srl")
LEFTOVER_DEADLINE_S = 30.0


def say(message: str) -> None:
    print(message, flush=True)


def _state(args: argparse.Namespace) -> LabState | None:
    return runner.status(args.lab, state_dir=args.state_dir)


def up(args: argparse.Namespace) -> int:
    lab = ROOT / "labs" / f"{args.lab}.clab.yml"
    state = runner.up(lab, state_dir=args.state_dir, dataplane="linux", progress=say)
    settings = None
    if args.k8s:
        config = kube.start_apiserver(state)
        say(f"kube-apiserver (tools build) with its etcd on loopback; kubeconfig {config}")
        settings = kubescenario.kubernetes_settings(state)
    fabricd_proc.start(state, metrics=args.metrics, kubernetes=settings)
    log = fabricd_proc.directory(state) / "fabricd.log"
    say(f"fabricd serving on {fabricd_proc.address(state)} with mutual TLS (log {log})")
    if args.k8s:
        kubescenario.setup(state, progress=say)
    else:
        scenario.setup(state, progress=say)
    picture = Path(state.state_dir) / f"{args.lab}-topology.png"
    scenario.fabricctl(state, "topology", "-o", "png", "--out", str(picture))
    say(f"the topology as fabricd sees it (LLDP + port map): {picture}")
    say("")
    say(scenario.fabricctl(state, "switch", "list").rstrip())
    return check_state(state, args)


def check_state(state: LabState, args: argparse.Namespace) -> int:
    matrix = scenario.ping_matrix(state)
    say("")
    say(matrix.render())
    eps = {e.label: e for e in scenario.endpoints()}
    seen = scenario.spine_capture(state, eps["pod-a/blue"], eps["pod-b/blue"])
    vni_ok = "vni 1111" in seen and "ICMP echo request" in seen
    say("")
    say(f"spine1 sees pod-a -> pod-b (blue) inside VXLAN VNI 1111: {'yes' if vni_ok else 'NO'}")
    audit = fabricd_proc.fabricctl(state, "audit")
    say("")
    say("fabricctl audit (intent vs switch configuration vs forwarding):")
    say((audit.stdout or audit.stderr).rstrip())
    sdir = state.state_dir
    bin_ = Path(sys.executable).parent
    env = " ".join(f"{k}={v}" for k, v in fabricd_proc.ctl_env(state).items())
    say(f"""
The lab keeps running. Look around (the tools are in {bin_}); fabricctl
needs the lab operator's certificate (fabricd runs with mutual TLS):
  export {env}
  {bin_}/fabricctl attachment list
  {bin_}/fabricctl switch list
  {bin_}/fabricctl plan
  {bin_}/fabricctl topology -o png --out /tmp/seed-topology.png
  {bin_}/fabric-lab status {args.lab}{_sd(args)}
  {bin_}/fabric-lab pod list {args.lab}{_sd(args)}
  {bin_}/fabric-lab pod exec {args.lab}{_sd(args)} pod-a -- ping -c 3 10.11.0.2
  {bin_}/fabric-lab exec {args.lab}{_sd(args)} server1 -- ip -d link
  metrics: http://{args.metrics}/metrics   health: http://{args.metrics}/readyz
  state: {sdir}
Remove it all: make demo-down{_lab(args)} (scripts/seed-scenario.py down --lab {args.lab}{_sd(args)})""")
    if matrix.unexpected or not vni_ok or audit.returncode != 0:
        for line in matrix.unexpected:
            say(f"NOT AS EXPECTED: {line}")
        if audit.returncode != 0:
            say("NOT AS EXPECTED: the audit has findings")
        return 1
    return 0


def _sd(args: argparse.Namespace) -> str:
    return f" --state-dir {args.state_dir}" if args.state_dir else ""


def _lab(args: argparse.Namespace) -> str:
    return f" LAB={args.lab}" if args.lab != "seed" else ""


def check(args: argparse.Namespace) -> int:
    state = _state(args)
    if state is None:
        say(f"the {args.lab} lab is not running: scripts/seed-scenario.py up --lab {args.lab}")
        return 3
    return check_state(state, args)


def down(args: argparse.Namespace) -> int:
    state = _state(args)
    code = 0
    if state is not None and fabricd_proc.running(state) is not None:
        if kube.kubeconfig(state).exists():
            kubescenario.teardown(state, progress=say)
        scenario.teardown(state, progress=say)
        deadline = time.monotonic() + LEFTOVER_DEADLINE_S
        left = scenario.switch_leftovers(state)
        while left and time.monotonic() < deadline:
            time.sleep(0.5)
            left = scenario.switch_leftovers(state)
        if left:
            code = 1
            say("left on the leaves after the last pod:\n  " + "\n  ".join(left))
        else:
            say("no VNI and no switched port left on the leaves (read back over gNMI)")
        fabricd_proc.stop(state)
    runner.down(args.lab, state_dir=args.state_dir, progress=say)
    return code


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="seed-scenario.py", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    p.add_argument("command", choices=("up", "check", "down"))
    p.add_argument("--lab", choices=LABS, default="seed", help="the seed fabric on openconfig or SR Linux switches")
    p.add_argument("--state-dir", metavar="DIR", help="the lab's state directory")
    p.add_argument("--metrics", metavar="HOST:PORT", default="127.0.0.1:9464", help="fabricd's metrics listener")
    p.add_argument("--k8s", action="store_true", help="up: through a Kubernetes API server (make tools builds it)")
    args = p.parse_args(argv)
    try:
        return {"up": up, "check": check, "down": down}[args.command](args)
    except LabError as e:
        say(f"seed-scenario: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())

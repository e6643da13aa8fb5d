"""fabric-lab: run containerlab topology files without Docker.

Exit codes: 0 done (``status``: running), 1 the lab could not be started or
removed, 2 a bad command line or a malformed lab file, 3 the lab is not
running (``status``, ``inventory``, ``client-cert``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import sys
from pathlib import Path

from labs.errors import LabError, LabFileError, LabNotRunning, LabRunError, LabStateError
from labs.run.statefile import LabState, resolve_state_dir

DESCRIPTION = """\
Run a containerlab topology file (labs/*.clab.yml) on this machine without
Docker: a gNMI switch emulator per switch, and with the Linux dataplane one
network namespace per node with lldpd, FRR and veth links.

LAB is a topology file (labs/seed.clab.yml) or, for commands on a running
lab, its name (seed). State lives in /run/fabric-lab/<lab>
($FABRIC_LAB_STATE_DIR/<lab>, or --state-dir DIR).
"""

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NOT_RUNNING = 0, 1, 2, 3
_CLIENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="fabric-lab", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def cmd(name: str, help_: str) -> argparse.ArgumentParser:
        c = sub.add_parser(name, help=help_, description=help_)
        c.add_argument("lab", metavar="LAB", help="topology file or lab name")
        c.add_argument("--state-dir", metavar="DIR", help="the lab's state directory")
        return c

    up = cmd("up", "start a lab (idempotent; cleans a crashed or half-started earlier run)")
    up.add_argument("--dataplane", choices=("none", "linux"), help="override the sidecar's dataplane")
    up.add_argument(
        "--timeout", type=float, default=120.0, help="seconds to wait for the switches (and the Linux underlay)"
    )
    up.add_argument(
        "--no-converge", action="store_true", help="linux: return once the switches listen, not the underlay"
    )
    cmd("down", "stop a lab and remove exactly what `up` created")
    ex = cmd("exec", "run a command in a node of a running Linux lab (its network and UTS namespace)")
    ex.add_argument("node", metavar="NODE")
    ex.add_argument("argv", nargs=argparse.REMAINDER, metavar="-- CMD ...", help="the command (default: a shell)")
    ep = cmd("endpoint", "put an address on VLAN V of a node's NIC (through the lab's VLAN backend)")
    ep.add_argument("node", metavar="NODE")
    ep.add_argument("nic", metavar="NIC")
    ep.add_argument("vlan", metavar="VLAN", type=int)
    ep.add_argument("address", metavar="ADDRESS", nargs="?", help="A.B.C.D/N (omit with --remove)")
    ep.add_argument("--remove", action="store_true", help="take the VLAN interface away instead")
    _pod_parser(sub)
    cmd("status", "is the lab running? the switches' gNMI addresses (exit 3: not running)")
    inv = cmd("inventory", "the switch inventory of a running lab (YAML, for fabricd)")
    inv.add_argument("-o", "--output", metavar="FILE", help="write it to FILE instead of stdout")
    pm = sub.add_parser("portmap", help="the static port map NODE/NIC: SWITCH/PORT of a topology file")
    pm.add_argument("lab", metavar="LAB", help="topology file")
    pm.add_argument("-o", "--output", metavar="FILE", help="write it to FILE instead of stdout")
    ic = sub.add_parser(
        "import-clab",
        help="fabricd's inventory and port map of a lab containerlab deployed, from its topology-data.json",
    )
    ic.add_argument("topology_data", metavar="TOPOLOGY-DATA.json", help="clab-<lab>/topology-data.json")
    ic.add_argument(
        "--password-file", metavar="FILE", required=True, help="the switches' password (SR Linux: NokiaSrl1!)"
    )
    ic.add_argument("--username", default="admin", help="the switches' user (default: admin)")
    ic.add_argument("-o", "--output", metavar="FILE", help="write the inventory to FILE instead of stdout")
    ic.add_argument("--portmap", metavar="FILE", help="write the port map to FILE")
    cc = cmd("client-cert", "issue a client certificate from the running lab's CA")
    cc.add_argument("name", metavar="NAME", help="the certificate's identity (e.g. a node name)")
    cc.add_argument(
        "--role",
        choices=["node", "operator", "switch-client"],
        default="node",
        help="node (O=fabricd:nodes, acts for itself), operator (O=fabricd:operators) or switch-client",
    )
    ft = cmd("fault", "inject a fault into a switch emulator of a running lab")
    ft.add_argument("switch", metavar="SWITCH")
    from labs.run.fault import add_actions

    add_actions(ft)
    return p


def _pod_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    pod = sub.add_parser(
        "pod",
        help="pods on a running Linux lab, attached to their networks as Multus would (fabric-cni)",
        description="Pods on the nodes of a running Linux lab: a network namespace each, attached to the "
        "networks of its k8s.v1.cni.cncf.io/networks annotation by the CNI plugin its NetworkAttachmentDefinition "
        "names, run in the node exactly as Multus runs it (labs/README.md, Pods).",
    )
    psub = pod.add_subparsers(dest="pod_command", metavar="POD-COMMAND", required=True)

    def pcmd(name: str, help_: str) -> argparse.ArgumentParser:
        c = psub.add_parser(name, help=help_, description=help_)
        c.add_argument("lab", metavar="LAB", help="lab name (or its topology file)")
        c.add_argument("--state-dir", metavar="DIR", help="the lab's state directory")
        return c

    pc = pcmd(
        "create",
        "create a pod from its manifest on a node and attach its networks (ADD); with --kubeconfig, play kubelet "
        "and Multus: the Pod (or '*': every Pod the API server binds to --node) is created (ADD) and followed; "
        "deleted, it gets its DEL and is then deleted with grace 0 (one Pod: then it ends; '*': until SIGTERM)",
    )
    pc.add_argument(
        "manifest",
        metavar="POD",
        help="a Pod manifest (POD.yaml) with the Multus networks annotation; with --kubeconfig: the Pod "
        "NAMESPACE/NAME on the API server, or '*' for every Pod bound to --node",
    )
    pc.add_argument("--node", metavar="NODE", help="the node (default: the manifest's spec.nodeName)")
    pc.add_argument(
        "--kubeconfig",
        metavar="FILE",
        help="follow the Pods bound to --node on this API server (NADs from the API server too)",
    )
    pc.add_argument(
        "--nads", metavar="DIR", help="NetworkAttachmentDefinition manifests (default: STATE_DIR/nads; `fabricctl nad`)"
    )
    pd = pcmd("delete", "detach a pod's networks in reverse order (DEL) and remove it")
    pd.add_argument("pod", metavar="POD", help="NAMESPACE/NAME, or NAME when unique")
    pcmd("list", "the pods of the lab: node, interfaces, addresses")
    pe = pcmd("exec", "run a command in a pod's network namespace")
    pe.add_argument("pod", metavar="POD", help="NAMESPACE/NAME, or NAME when unique")
    pe.add_argument("argv", nargs=argparse.REMAINDER, metavar="-- CMD ...", help="the command (default: a shell)")


def _pod(args: argparse.Namespace) -> int:
    from labs.pods import runtime

    _, st = _running(args)
    sdir = Path(st.state_dir)
    if args.pod_command == "create" and args.kubeconfig:
        return _kubelet(sdir, args)
    if args.pod_command == "create":
        rec = runtime.create(sdir, args.manifest, node=args.node, nads=args.nads, progress=_progress)
        print(f"{rec.ref}\t{rec.node}\tnetns {rec.netns}")
        for ifname, nad, address in rec.addresses():
            print(f"  {ifname}\t{nad}\t{address}")
        return EXIT_OK
    if args.pod_command == "delete":
        rec = runtime.delete(sdir, args.pod, progress=_progress)
        print(f"{rec.ref}: deleted")
        return EXIT_OK
    if args.pod_command == "list":
        for rec in runtime.records(sdir):
            addrs = ", ".join(f"{i} {a} ({n})" for i, n, a in rec.addresses()) or "-"
            print(f"{rec.ref}\t{rec.node}\t{rec.phase}\t{addrs}")
        return EXIT_OK
    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    full = runtime.exec_argv(sdir, args.pod, argv or [os.environ.get("SHELL", "/bin/sh")])
    sys.stdout.flush()
    os.execvp(full[0], full)


def _kubelet(sdir: Path, args: argparse.Namespace) -> int:
    import signal

    from labs.pods.kubeapi import KubeApi
    from labs.pods.kubelet import Kubelet

    only = None if args.manifest == "*" else args.manifest
    if only is None and not args.node:
        raise LabFileError("(command line)", "--node", "is required with --kubeconfig and '*'")
    if only is not None and only.count("/") != 1:
        raise LabFileError("(command line)", "POD", f"{only!r} is not NAMESPACE/NAME (or '*' with --node)")
    stopping: list[int] = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda n, _f: stopping.append(n))
    kubelet = Kubelet(sdir, KubeApi(args.kubeconfig), args.node, only=only, progress=_progress)
    _progress(f"kubelet: following {only or 'the pods bound to ' + args.node} at {kubelet.api.server}")
    kubelet.run(stop=lambda: bool(stopping))
    _progress("kubelet: stopped")
    return EXIT_OK


def _name(lab: str) -> str:
    """The lab name of a LAB argument: a topology file's ``name``, or LAB itself."""
    from labs.files.topofile import lab_name

    path = Path(lab)
    if path.is_file():
        return lab_name(path)
    if lab.endswith((".yml", ".yaml")) or "/" in lab:
        raise LabFileError(lab, "(file)", "cannot read it: no such file")
    return lab


def _write(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    path = Path(output)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    print(f"wrote {path}", file=sys.stderr)


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _listening(address: str) -> bool:
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1.0):
            return True
    except (OSError, ValueError):
        return False


def _running(args: argparse.Namespace) -> tuple[str, LabState]:
    from labs.run import runner

    name = _name(args.lab)
    state = runner.status(name, state_dir=args.state_dir)
    if state is None:
        raise LabNotRunning(f"lab {name} is not running")
    return name, state


def _linux_status(state: LabState) -> None:
    from labs.dataplane.netns import exists
    from labs.run import procs

    print(f"  VLAN backend {state.vlan_backend}; namespaces {state.prefix}{state.lab}-<node>")
    daemons: dict[str, list[str]] = {}
    for rec in state.processes:
        role, _, node = rec.role.partition(":")
        if node:
            daemons.setdefault(node, []).append(f"{role} {rec.pid}{'' if procs.alive(rec) else ' DEAD'}")
    for n in state.nodes:
        ns = n.netns if exists(n.netns) else f"{n.netns} MISSING"
        print(f"  {n.name}\t{n.role}\t{ns}\t{', '.join(daemons.get(n.name, [])) or '-'}")


def _import_clab(args: argparse.Namespace) -> int:
    from labs.errors import LabFileError
    from labs.files.clab_import import import_topology_data
    from labs.run import inventory

    source = Path(args.topology_data)
    try:
        doc = json.loads(source.read_text())
    except (OSError, ValueError) as e:
        raise LabFileError(source, "(file)", f"cannot read it as JSON: {e}") from None
    inv, ports = import_topology_data(
        doc, source=source.absolute(), password_file=Path(args.password_file).absolute(), username=args.username
    )
    lab = inv["lab"]
    header = f"fabricd switch inventory of containerlab lab {lab} (fabric-lab import-clab {source})"
    _write(inventory.to_yaml(inv, header=header), args.output)
    if args.portmap:
        header = f"static port map of containerlab lab {lab}: NODE/NIC: SWITCH/PORT (containerlab names)"
        _write(inventory.to_yaml(ports, header=header), args.portmap)
    return EXIT_OK


def _nature(state: LabState) -> None:
    from labs.errors import LabFileError
    from labs.files.topofile import load_lab
    from labs.run.describe import describe

    try:
        lab = load_lab(state.lab_file)
    except LabFileError as e:
        print(f"  (what each node is: the lab file cannot be read: {e})")
        return
    print("  what each node is:")
    for name in lab.nodes:
        print(f"  {name}\t{describe(lab, name, dataplane=state.dataplane)}")


def _exec(args: argparse.Namespace) -> int:
    from labs.dataplane.spawn import in_node

    _, st = _running(args)
    node = st.node(args.node)
    if node is None:
        print(f"fabric-lab: exec: lab {st.lab} has no node {args.node!r}", file=sys.stderr)
        return EXIT_USAGE
    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    full = in_node(node, argv or [os.environ.get("SHELL", "/bin/sh")])
    sys.stdout.flush()
    os.execvp(full[0], full)


def _endpoint(args: argparse.Namespace) -> int:
    from labs.dataplane import endpoint

    _, st = _running(args)
    sdir = Path(st.state_dir)
    if args.remove:
        endpoint.remove(sdir, args.node, args.nic, args.vlan)
        print(f"{args.node}: VLAN {args.vlan} of {args.nic} removed")
        return EXIT_OK
    if not args.address:
        print("fabric-lab: endpoint: give ADDRESS (A.B.C.D/N) or --remove", file=sys.stderr)
        return EXIT_USAGE
    ep = endpoint.add(sdir, args.node, args.nic, args.vlan, args.address)
    print(f"{ep.node}\t{ep.ifname}\t{ep.address}\t(netns {ep.netns})")
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    from labs.run import inventory, runner

    if args.command == "up":
        state = runner.up(
            args.lab,
            state_dir=args.state_dir,
            dataplane=args.dataplane,
            timeout=args.timeout,
            progress=_progress,
            converge=not args.no_converge,
        )
        for sw in state.switches:
            print(f"{sw.name}\t{sw.role}\t{sw.address}")
        return EXIT_OK
    if args.command == "down":
        runner.down(_name(args.lab), state_dir=args.state_dir, progress=_progress)
        return EXIT_OK
    if args.command == "status":
        name = _name(args.lab)
        current = runner.status(name, state_dir=args.state_dir)
        if current is None:
            sdir = resolve_state_dir(name, args.state_dir)
            left = f" (leftovers of an earlier run in {sdir}: `fabric-lab down` removes them)"
            print(f"{name}: not running{left if sdir.exists() else ''}")
            return EXIT_NOT_RUNNING
        host = next(p for p in current.processes if p.role == runner.HOST_ROLE)
        print(f"{name}: running (emulator host pid {host.pid}, since {current.started_at})")
        print(f"  state {current.state_dir}, dataplane {current.dataplane}")
        for sw in current.switches:
            answer = "listening" if _listening(sw.address) else "NOT ANSWERING"
            print(f"  {sw.name}\t{sw.role}\t{sw.platform}\t{sw.address}\t{answer}")
        if current.nodes:
            _linux_status(current)
        _nature(current)
        return EXIT_OK
    if args.command == "exec":
        return _exec(args)
    if args.command == "pod":
        return _pod(args)
    if args.command == "endpoint":
        return _endpoint(args)
    if args.command == "inventory":
        name, st = _running(args)
        header = f"fabricd switch inventory of lab {name} (fabric-lab inventory; format: labs/README.md)"
        _write(inventory.to_yaml(inventory.inventory(st), header=header), args.output)
        return EXIT_OK
    if args.command == "portmap":
        from labs.files.topofile import load_lab

        lab = load_lab(args.lab)
        header = f"static port map of lab {lab.name}: NODE/NIC: SWITCH/PORT (containerlab names)"
        _write(inventory.to_yaml(inventory.portmap(lab), header=header), args.output)
        return EXIT_OK
    if args.command == "import-clab":
        return _import_clab(args)
    if args.command == "client-cert":
        from labs.run.material import load_ca, write_client_cert

        if not _CLIENT_NAME.match(args.name):
            print(f"fabric-lab: client-cert: {args.name!r} is not a usable name", file=sys.stderr)
            return EXIT_USAGE
        name, st = _running(args)
        if st.plaintext:
            print(f"fabric-lab: lab {name} is plaintext: it has no CA", file=sys.stderr)
            return EXIT_FAILED
        cert, key = write_client_cert(Path(st.state_dir), load_ca(Path(st.state_dir)), args.name, role=args.role)
        print(f"{cert}\n{key}")
        return EXIT_OK
    if args.command == "fault":
        from labs.run.fault import fault

        _, st = _running(args)
        print(fault(st, args.switch, args))
        return EXIT_OK
    raise AssertionError(args.command)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return run(args)
    except LabFileError as e:
        print(f"fabric-lab: {e}", file=sys.stderr)
        return EXIT_USAGE
    except LabNotRunning as e:
        print(f"fabric-lab: {e}", file=sys.stderr)
        return EXIT_NOT_RUNNING
    except (LabRunError, LabStateError, LabError) as e:
        print(f"fabric-lab: {e}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as e:  # the state directory or a file in it
        where = f"{e.filename}: " if e.filename else ""
        print(f"fabric-lab: {where}{e.strerror or e}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())

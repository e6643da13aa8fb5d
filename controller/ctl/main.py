"""fabricctl: the operator CLI for fabricd.

Only argparse loads at start; grpc and the API's generated code load when a
command talks to fabricd (``--help`` and ``completion`` stay instant).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

from controller import __version__
from controller.ctl.errors import EXIT_CODES_HELP, INTERRUPTED, USAGE, CtlError

DESCRIPTION = """\
Operate a fabricd controller over its fabric.v1 API: networks, NAD manifests,
attachments, switch sessions, the topology, the planned gNMI changes and the
event stream.
"""

EPILOG = f"""\
connection: --server (or FABRICCTL_SERVER) is unix:///path.sock or HOST:PORT,
default unix:///run/fabricd/api.sock. With TLS (--ca, or FABRICCTL_CA) the
client certificate (--cert/--key) names the caller: operators are listed in
fabricd's api.operators, any other name is a node acting for itself.
Options may come before or after the command.

examples:
  fabricctl network create blue --vni 1111
  fabricctl nad blue --uplink eth1 | kubectl apply -f -
  fabricctl -o json attachment list --node server1
  fabricctl switch list
  fabricctl audit
  fabricctl topology -o png --out fabric.png
  fabricctl --server 127.0.0.1:50051 --ca ca.pem --cert me.pem --key me.key plan

{EXIT_CODES_HELP}
"""

OUTPUTS = ("table", "json", "yaml", "dot", "png", "svg")
IMAGE_OUTPUTS = ("dot", "png", "svg")
ENV = {
    "server": "FABRICCTL_SERVER",
    "ca": "FABRICCTL_CA",
    "cert": "FABRICCTL_CERT",
    "key": "FABRICCTL_KEY",
    "server_name": "FABRICCTL_SERVER_NAME",
    "timeout": "FABRICCTL_TIMEOUT",
}


def _common() -> argparse.ArgumentParser:
    """Options accepted before and after the command (defaults applied later,
    so a later occurrence never resets an earlier one)."""
    p = argparse.ArgumentParser(add_help=False)
    s = argparse.SUPPRESS
    g = p.add_argument_group("connection and output")
    g.add_argument(
        "-o",
        "--output",
        choices=OUTPUTS,
        metavar="FORMAT",
        default=s,
        help="table (default), json, yaml; topology also dot, png, svg",
    )
    g.add_argument("--server", metavar="ADDR", default=s, help="fabricd API: unix:///path.sock or HOST:PORT")
    g.add_argument("--ca", metavar="FILE", default=s, help="CA certificate that signed fabricd's (enables TLS)")
    g.add_argument("--cert", metavar="FILE", default=s, help="client certificate; its CN is your identity")
    g.add_argument("--key", metavar="FILE", default=s, help="private key of --cert")
    g.add_argument("--server-name", metavar="NAME", default=s, help="name to verify in fabricd's certificate")
    g.add_argument("--timeout", metavar="SECONDS", type=float, default=s, help="deadline of each call (default 10)")
    return p


def _network_ns(p: argparse.ArgumentParser) -> None:
    p.add_argument("-n", "--namespace", metavar="NS", help="namespace of the network (default: default)")


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    p = argparse.ArgumentParser(
        prog="fabricctl",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    p.add_argument("--version", action="version", version=f"fabricctl {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def leaf(parent: Any, name: str, help: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = parent.add_parser(name, help=help, description=help, parents=[common])
        return parser

    net = sub.add_parser("network", aliases=["networks"], help="create, get, list and delete networks")
    nsub = net.add_subparsers(dest="action", metavar="ACTION", required=True)
    c = leaf(nsub, "create", "create a network (an EVPN/VXLAN segment, one VNI)")
    c.add_argument("name", metavar="NAME", help="NAME or NAMESPACE/NAME")
    c.add_argument("--vni", type=int, required=True, help="VXLAN network identifier, 1..16777215")
    _network_ns(c)
    c.add_argument("--shared", action="store_true", help="usable from pods of every namespace")
    c.add_argument("--mtu", type=int, default=0, help="pod interface MTU (default: fabricd's)")
    c.add_argument("--description", default="", help="free text")
    c.add_argument(
        "--readiness",
        choices=("committed", "forwarding"),
        help="when attachments are READY: leaf committed, or VNI forwarding (default: fabricd's fabric.readiness)",
    )
    g = leaf(nsub, "get", "show one network")
    g.add_argument("name", metavar="NAME", help="NAME or NAMESPACE/NAME")
    _network_ns(g)
    lst = leaf(nsub, "list", "list networks")
    lst.add_argument("-n", "--namespace", metavar="NS", help="only this namespace (default: all)")
    d = leaf(nsub, "delete", "delete a network (refused while attachments use it)")
    d.add_argument("name", metavar="NAME", help="NAME or NAMESPACE/NAME")
    _network_ns(d)
    d.add_argument("--ignore-not-found", action="store_true", help="exit 0 when the network does not exist")

    nad = leaf(sub, "nad", "print the NetworkAttachmentDefinition (Multus) of a network")
    nad.add_argument("name", metavar="NETWORK", help="NAME or NAMESPACE/NAME")
    _network_ns(nad)
    nad.add_argument("--uplink", metavar="IFACE", help="node NIC the pods use (default: each node's default uplink)")
    nad.add_argument("--controller", help=argparse.SUPPRESS)  # gone: refused with an explanation
    nad.add_argument("--ipam", metavar="JSON", help='IPAM configuration (default {"type":"static"})')
    nad.add_argument("--nad-namespace", metavar="NS", help="namespace of the NAD (default: the network's)")

    att = sub.add_parser("attachment", aliases=["attachments"], help="list, show and detach pod attachments")
    asub = att.add_subparsers(dest="action", metavar="ACTION", required=True)
    al = leaf(asub, "list", "list attachments (filters combine)")
    al.add_argument("--node", help="only this Kubernetes node")
    al.add_argument("--network", metavar="NET", help="only this network (NAME or NAMESPACE/NAME)")
    al.add_argument("--pod-namespace", metavar="NS", help="only pods of this namespace")
    al.add_argument("--switch", help="only attachments behind this leaf")
    for name, text in (("get", "show one attachment"), ("detach", "remove an attachment (as CNI DEL would)")):
        a = leaf(asub, name, text)
        a.add_argument(
            "attachment", metavar="ATTACHMENT", help="POD_NS/POD(UID):IFACE@NET_NS/NET, or [POD_NS/]POD with --network"
        )
        a.add_argument("--network", metavar="NET", help="network of the attachment (NAME or NAMESPACE/NAME)")
        a.add_argument("-i", "--interface", metavar="IFACE", help="interface in the pod (default net1)")
        a.add_argument("--uid", help="pod UID (needed only when two pods of that name exist)")
        if name == "detach":
            a.add_argument("--container", metavar="ID", help="only if this container owns it (default: any)")
            a.add_argument("--ignore-not-found", action="store_true", help="exit 0 when there is nothing to detach")

    sw = sub.add_parser("switch", aliases=["switches"], help="switch sessions and configuration state")
    ssub = sw.add_subparsers(dest="action", metavar="ACTION", required=True)
    leaf(ssub, "list", "session state, last sync, pending changes, in sync, VLANs used/free, last error")
    rel = leaf(
        ssub,
        "release",
        "let the intent win on a held switch: fabricd removes its objects there that the store has no record of",
    )
    rel.add_argument("name", metavar="SWITCH", help="a held switch (fabricctl switch list: IN SYNC 'held')")

    t = leaf(sub, "topology", "the fabric as fabricd sees it (table, json, yaml, dot, png, svg)")
    t.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")
    pl = leaf(sub, "plan", "the gNMI changes each switch would receive now (dry run)")
    pl.add_argument("switches", nargs="*", metavar="SWITCH", help="only these switches (default: all)")
    au = leaf(sub, "audit", "intent vs switch configuration vs forwarding state (exit 0 only when clean)")
    au.add_argument("switches", nargs="*", metavar="SWITCH", help="only these switches (default: all)")
    ev = leaf(sub, "events", "follow fabricd's events until Ctrl-C")
    ev.add_argument(
        "--kind", action="append", metavar="KIND", help="only this kind (attachment, network, switch, topology, drift)"
    )
    ev.add_argument("--count", type=int, default=0, metavar="N", help="stop after N events")
    h = leaf(sub, "health", "ask fabricd's grpc health service (exit 0 when SERVING)")
    h.add_argument("--service", default="", help="service name (default: the whole server)")
    leaf(sub, "status", "this fabricd's role (leader, follower; standalone with SQLite), the leader and its term")
    comp = sub.add_parser("completion", help="print a shell completion script", description=COMPLETION_HELP)
    comp.formatter_class = argparse.RawDescriptionHelpFormatter
    comp.add_argument("shell", choices=["bash", "zsh"])
    return p


COMPLETION_HELP = """\
Print a completion script for bash or zsh.

  bash:  source <(fabricctl completion bash)      # or save it in /etc/bash_completion.d/
  zsh:   source <(fabricctl completion zsh)       # uses zsh's bashcompinit
"""


def _handler(args: argparse.Namespace) -> Callable[..., int]:
    from controller.ctl import attachments, audit, events, health, networks, plan, switches, topology

    command = {"networks": "network", "attachments": "attachment", "switches": "switch"}.get(args.command, args.command)
    table: dict[tuple[str, str | None], Callable[..., int]] = {
        ("network", "create"): networks.create,
        ("network", "get"): networks.get,
        ("network", "list"): networks.list_,
        ("network", "delete"): networks.delete,
        ("nad", None): networks.nad,
        ("attachment", "list"): attachments.list_,
        ("attachment", "get"): attachments.get,
        ("attachment", "detach"): attachments.detach,
        ("switch", "list"): switches.list_,
        ("switch", "release"): switches.release,
        ("topology", None): topology.run,
        ("plan", None): plan.run,
        ("audit", None): audit.run,
        ("events", None): events.run,
        ("health", None): health.run,
        ("status", None): health.status,
    }
    return table[(command, getattr(args, "action", None))]


def _options(args: argparse.Namespace) -> object:
    from controller.ctl.client import DEFAULT_SERVER, ConnectOptions

    def pick(name: str, default: str | None) -> str | None:
        value = getattr(args, name, None)
        return str(value) if value is not None else os.environ.get(ENV[name]) or default

    timeout_text = pick("timeout", "10") or "10"
    try:
        timeout = float(timeout_text)
    except ValueError:
        raise CtlError(f"FABRICCTL_TIMEOUT: {timeout_text!r} is not a number of seconds", USAGE) from None
    if timeout <= 0:
        raise CtlError(f"--timeout: {timeout:g} must be more than 0 seconds", USAGE)
    return ConnectOptions(
        server=pick("server", DEFAULT_SERVER) or DEFAULT_SERVER,
        ca=pick("ca", None),
        cert=pick("cert", None),
        key=pick("key", None),
        server_name=pick("server_name", None),
        timeout=timeout,
    )


def main(argv: list[str] | None = None) -> int:
    # grpc's C core logs to stderr on its own (handshake failures, ...): the
    # errors fabricctl prints say it better. GRPC_VERBOSITY=ERROR shows them.
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse: --help, --version (0) and usage errors (2)
        return int(e.code or 0)
    if args.command is None:
        parser.print_help(sys.stderr)
        return USAGE
    if args.command == "completion":
        from controller.ctl.completion import script

        sys.stdout.write(script(parser, args.shell))
        return 0
    output = getattr(args, "output", "table")
    ctx = None
    try:
        if output in IMAGE_OUTPUTS and args.command != "topology":
            raise CtlError(f"-o {output} is for the topology command only (use table, json or yaml)", USAGE)
        from controller.ctl.context import Context

        ctx = Context(args=args, output=output, options=_options(args))  # type: ignore[arg-type]
        return _handler(args)(ctx)
    except CtlError as e:
        sys.stdout.flush()
        print(f"fabricctl: {e.message}", file=sys.stderr)
        return e.code
    except KeyboardInterrupt:
        return INTERRUPTED
    except BrokenPipeError:  # `fabricctl ... | head`
        return 0
    finally:
        if ctx is not None:
            ctx.close()


if __name__ == "__main__":
    sys.exit(main())

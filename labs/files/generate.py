"""Generate scale labs in the format of labs/*.clab.yml plus the sidecar.

    python -m labs.files.generate --leaves 512 --servers-per-leaf 4 --spines 4 -o DIR
    python -m labs.files.generate --leaves 4 --servers-per-leaf 4 --spines 2 --dual-homed -o DIR

writes ``DIR/NAME.clab.yml`` and ``DIR/NAME.fabric.yml`` (NAME defaults to
``gen-<S>s<N>l<M>m[-dual]``). The layout:

* spine ``j`` (1..S): ASN 65000, router-id ``10.0.0.j``; leaf ``i`` is on
  its port ``e<slot>-<port>``, 64 ports per line card (leaf 65 on ``e2-1``);
* leaf ``i`` (1..N): ASN ``65000+i`` while that is a 2-byte private ASN
  (i <= 534), else ``4200000000+i``; router-id from ``10.1.0.0/16``
  (250 per /24: ``10.1.<(i-1)//250>.<(i-1)%250+1>``); servers on
  ``e1-1..e1-M``, uplink to spine ``j`` on ``e1-<B+j-1>`` with
  B = max(49, M+1);
* servers: single-homed, server ``k`` has ``eth1`` on its leaf; with
  ``--dual-homed`` leaves pair up (1-2, 3-4, ...) and each server of a pair
  has ``eth1`` on the odd and ``eth2`` on the even leaf (as in dc-2s4l).

The sidecar expects every LLDP adjacency and, when there are servers on two
leaves, VNI 1111 (VLAN 10) between the first and the last server and a
VNI 2222 (VLAN 20) endpoint in the same subnet that must not reach them.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path
from typing import Any

import yaml

SPINE_ASN = 65000
PRIVATE_ASN2_MAX = 65534
ASN4_BASE = 4_200_000_000
PORTS_PER_SLOT = 64
MAX_PORT = 999  # the openconfig platform's port numbers (models.platforms.profile)
MAX_SLOT = 99
PER_SUBNET = 250


class GenerateError(ValueError):
    """Parameters no lab can be generated for."""


class _Flow(dict[str, Any]):
    pass


class _FlowList(list[Any]):
    pass


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    pass


_Dumper.add_representer(_Flow, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True))
_Dumper.add_representer(_FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))


def leaf_asn(i: int) -> int:
    asn = SPINE_ASN + i
    return asn if asn <= PRIVATE_ASN2_MAX else ASN4_BASE + i


def spine_router_id(j: int) -> str:
    return str(ipaddress.IPv4Address("10.0.0.0") + j)


def leaf_router_id(i: int) -> str:
    return f"10.1.{(i - 1) // PER_SUBNET}.{(i - 1) % PER_SUBNET + 1}"


def spine_port(i: int) -> str:
    return f"e{(i - 1) // PORTS_PER_SLOT + 1}-{(i - 1) % PORTS_PER_SLOT + 1}"


def default_name(leaves: int, spines: int, servers_per_leaf: int, dual_homed: bool) -> str:
    return f"gen-{spines}s{leaves}l{servers_per_leaf}m{'-dual' if dual_homed else ''}"


def generate(
    *, leaves: int, spines: int, servers_per_leaf: int, dual_homed: bool = False, name: str | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The topology document and the sidecar document (pure)."""
    m, n, s = servers_per_leaf, leaves, spines
    if n < 1 or s < 0 or m < 0:
        raise GenerateError("need --leaves >= 1, --spines >= 0, --servers-per-leaf >= 0")
    if dual_homed and n % 2:
        raise GenerateError(f"--dual-homed pairs leaves: {n} leaves is an odd number")
    uplink = max(49, m + 1)
    if uplink + s - 1 > MAX_PORT:
        raise GenerateError(f"a leaf has only {MAX_PORT} ports: {m} servers and {s} uplinks do not fit")
    if (n - 1) // PORTS_PER_SLOT + 1 > MAX_SLOT:
        raise GenerateError(f"a spine has {MAX_SLOT * PORTS_PER_SLOT} ports: {n} leaves do not fit")
    if s > PER_SUBNET or n > PER_SUBNET * 256:
        raise GenerateError("too many switches for the router-id plan (10.0.0.0/24 spines, 10.1.0.0/16 leaves)")
    lab = name or default_name(n, s, m, dual_homed)

    def switch(role: str, asn: int, rid: str) -> dict[str, Any]:
        labels = {"fabricd.role": role, "fabricd.platform": "openconfig", "fabricd.asn": asn}
        return {"kind": "linux", "labels": _Flow({**labels, "fabricd.router-id": rid})}

    nodes: dict[str, Any] = {}
    links: list[Any] = []
    lldp: dict[str, dict[str, str]] = {}

    def link(a: tuple[str, str, str], b: tuple[str, str, str]) -> None:
        """a, b: (node, clab port, OpenConfig/LLDP port); records LLDP expectations of switch ends."""
        links.append({"endpoints": _FlowList([f"{a[0]}:{a[1]}", f"{b[0]}:{b[1]}"])})
        for x, y in ((a, b), (b, a)):
            if not x[0].startswith("server"):
                lldp.setdefault(x[0], {})[x[2]] = f"{y[0]}:{y[2]}"

    def oc(clab: str) -> str:
        slot, port = clab[1:].split("-")
        return f"ethernet-{slot}/{port}"

    for j in range(1, s + 1):
        nodes[f"spine{j}"] = switch("spine", SPINE_ASN, spine_router_id(j))
        lldp[f"spine{j}"] = {}
    for i in range(1, n + 1):
        nodes[f"leaf{i}"] = switch("leaf", leaf_asn(i), leaf_router_id(i))
        lldp[f"leaf{i}"] = {}
    for j in range(1, s + 1):
        for i in range(1, n + 1):
            up, down = f"e1-{uplink + j - 1}", spine_port(i)
            link((f"leaf{i}", up, oc(up)), (f"spine{j}", down, oc(down)))
    servers: list[str] = []
    groups = [(i, i + 1) for i in range(1, n + 1, 2)] if dual_homed else [(i,) for i in range(1, n + 1)]
    for group in groups:
        for port in range(1, m + 1):
            server = f"server{len(servers) + 1}"
            servers.append(server)
            nodes[server] = {
                "kind": "linux",
                "labels": _Flow({"fabricd.role": "node", "fabricd.platform": "linux"}),
            }
            for nic, leaf in enumerate(group, start=1):
                link((server, f"eth{nic}", f"eth{nic}"), (f"leaf{leaf}", f"e1-{port}", f"ethernet-1/{port}"))
    clab = {"name": lab, "topology": {"kinds": {"linux": {"image": IMAGE}}, "nodes": nodes, "links": links}}
    sidecar: dict[str, Any] = {
        "gnmi": {"plaintext": False, "username": "admin", "client_auth": False},
        "validate": "fast",
        "dataplane": "none",
        "evpn_asn": SPINE_ASN,
        "expect": {"lldp": lldp, **_reachability(servers, m)},
    }
    return clab, sidecar


IMAGE = "ghcr.io/srl-labs/network-multitool:latest"


def _reachability(servers: list[str], per_leaf: int) -> dict[str, Any]:
    if len(servers) <= per_leaf or len(servers) < 3:
        return {}  # all servers on one leaf (pair): nothing crosses the fabric
    first, second, last = servers[0], servers[1], servers[-1]
    return {
        "segments": {"vni1111": {"vni": 1111, "vlan": 10}, "vni2222": {"vni": 2222, "vlan": 20}},
        "endpoints": {
            "a": {"segment": "vni1111", "nic": f"{first}:eth1", "address": "10.10.0.1/24"},
            "b": {"segment": "vni1111", "nic": f"{last}:eth1", "address": "10.10.0.2/24"},
            "c": {"segment": "vni2222", "nic": f"{second}:eth1", "address": "10.10.0.3/24"},
        },
        "reach": {"vni1111 across the fabric": ["a", "b"]},
        "isolate": {"vni2222 is not vni1111": {"from": ["c"], "to": ["a", "b"]}},
    }


def dump(doc: Any, header: str) -> str:
    body = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=1000)
    return f"# {header}\n{body}"


def write(directory: Path, clab: dict[str, Any], sidecar: dict[str, Any]) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    name = clab["name"]
    topo, side = directory / f"{name}.clab.yml", directory / f"{name}.fabric.yml"
    topo.write_text(dump(clab, "generated by python -m labs.files.generate (kind linux: see labs/README.md)"))
    side.write_text(dump(sidecar, f"sidecar of {topo.name} (format: labs/README.md)"))
    return topo, side


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m labs.files.generate", description=__doc__.split("\n\n")[0])
    p.add_argument("--leaves", type=int, required=True)
    p.add_argument("--servers-per-leaf", type=int, default=2, help="per leaf pair with --dual-homed")
    p.add_argument("--spines", type=int, default=2)
    p.add_argument("--dual-homed", action="store_true", help="each server on a pair of leaves")
    p.add_argument("--name", help="lab name (default gen-<S>s<N>l<M>m[-dual])")
    p.add_argument("-o", "--output", required=True, metavar="DIR")
    args = p.parse_args(argv)
    try:
        clab, sidecar = generate(
            leaves=args.leaves,
            spines=args.spines,
            servers_per_leaf=args.servers_per_leaf,
            dual_homed=args.dual_homed,
            name=args.name,
        )
    except GenerateError as e:
        sys.stderr.write(f"labs.files.generate: {e}\n")
        return 2
    for path in write(Path(args.output), clab, sidecar):
        sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The day-0 configuration of an SR Linux node of a lab (pure): the underlay
fabricd expects and never writes (docs/platforms.md, "Day-0 expectations"),
as one JSON_IETF document. It is the emulator's startup configuration for
the node, it validates against Nokia's 25.3.1 models, and the CLI file
containerlab's ``startup-config`` applies on a real SR Linux is generated
from it (:mod:`labs.files.srl_cli`; both kept beside the lab files as golden
files, ``labs/<lab>/<node>.day0.json`` and ``.cli``).

What it holds, from the topology file and its labels:

* every cabled port ``admin-state enable`` with a description naming its
  peer; a port to a switch gets subinterface 0 with IPv6 and router
  advertisements (BGP unnumbered); a port to a server nothing more (fabricd
  turns its ``vlan-tagging`` on and adds subinterfaces);
* ``system0.0`` with the router-id /32 (``fabricd.router-id``), the VTEP;
* the ``default`` network-instance with those subinterfaces and BGP:
  ``autonomous-system`` = ``fabricd.asn``; group ``underlay``: eBGP IPv4
  unicast with IPv6 next hops, a dynamic neighbour per switch-facing
  subinterface (the peer's ASN allowed), the fabric's loopbacks exported and
  imported (policy ``fabricd-loopbacks``); group ``overlay``: iBGP EVPN
  between system0 addresses in the sidecar's ``evpn_asn``, the spines route
  reflectors for the leaves (Nokia's documented design for L2 EVPN; eBGP
  EVPN over unnumbered sessions is not);
* on leaves the tunnel-interface ``vxlan1`` (fabricd adds vxlan-interfaces);
* LLDP on (``system lldp admin-state enable``; containerlab's default too).
"""

from __future__ import annotations

from typing import Any

from labs.files.lab import Lab, LabNode

IF = "srl_nokia-interfaces"
NI = "srl_nokia-network-instance"
COMMON = "srl_nokia-common"
POLICY = "fabricd-loopbacks"
UNDERLAY, OVERLAY = "underlay", "overlay"
TUNNEL = "vxlan1"


def _afi(name: str, enabled: bool) -> dict[str, Any]:
    return {"afi-safi-name": f"{COMMON}:{name}", "admin-state": "enable" if enabled else "disable"}


def _neighbours(lab: Lab, node: LabNode) -> list[tuple[str, LabNode]]:
    """(switch-facing port, peer switch) of a switch, in port order."""
    out = []
    for port in lab.ports(node.name):
        peer = lab.peer(port)
        if peer is not None and lab.nodes[peer.node].is_switch:
            out.append((port.names.oc, lab.nodes[peer.node]))
    return out


def _interfaces(lab: Lab, node: LabNode) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for port in lab.ports(node.name):
        peer = lab.peer(port)
        iface: dict[str, Any] = {"name": port.names.oc, "admin-state": "enable"}
        if peer is not None:
            iface["description"] = f"to {peer.node} {peer.names.oc}"
            if lab.nodes[peer.node].is_switch:
                iface["subinterface"] = [
                    {
                        "index": 0,
                        "admin-state": "enable",
                        "ipv6": {
                            "admin-state": "enable",
                            "srl_nokia-interfaces-router-adv:router-advertisement": {
                                "router-role": {"admin-state": "enable"}
                            },
                        },
                    }
                ]
        out.append(iface)
    out.append(
        {
            "name": "system0",
            "admin-state": "enable",
            "subinterface": [
                {
                    "index": 0,
                    "admin-state": "enable",
                    "ipv4": {"admin-state": "enable", "address": [{"ip-prefix": f"{node.router_id}/32"}]},
                }
            ],
        }
    )
    return out


def _bgp(lab: Lab, node: LabNode) -> dict[str, Any]:
    peers = _neighbours(lab, node)
    rid = str(node.router_id)
    overlay: dict[str, Any] = {
        "group-name": OVERLAY,
        "admin-state": "enable",
        "peer-as": lab.sidecar.evpn_asn,
        "local-as": {"as-number": lab.sidecar.evpn_asn},
        "transport": {"local-address": rid},
        "afi-safi": [_afi("evpn", True), _afi("ipv4-unicast", False)],
    }
    if node.role == "spine":
        overlay["route-reflector"] = {"client": True, "cluster-id": rid}
    # an iBGP session per switch across a link: a leaf's spines, a spine's leaves
    overlay_peers = sorted({str(p.router_id) for _, p in peers if p.role != node.role}, key=_ip_key)
    return {
        "admin-state": "enable",
        "autonomous-system": node.asn,
        "router-id": rid,
        "afi-safi": [
            {
                **_afi("ipv4-unicast", True),
                "ipv4-unicast": {"advertise-ipv6-next-hops": True, "receive-ipv6-next-hops": True},
            },
            {**_afi("evpn", True), "evpn": {"rapid-update": True}},
        ],
        "group": [
            {
                "group-name": UNDERLAY,
                "admin-state": "enable",
                "export-policy": [POLICY],
                "import-policy": [POLICY],
                "afi-safi": [_afi("ipv4-unicast", True), _afi("evpn", False)],
            },
            overlay,
        ],
        "dynamic-neighbors": {
            "interface": [
                {"interface-name": f"{port}.0", "peer-group": UNDERLAY, "allowed-peer-as": [str(peer.asn)]}
                for port, peer in peers
            ]
        },
        "neighbor": [{"peer-address": a, "peer-group": OVERLAY} for a in overlay_peers],
    }


def _ip_key(address: str) -> tuple[int, ...]:
    return tuple(int(p) for p in address.split("."))


def day0(lab: Lab, node: LabNode) -> dict[str, Any]:
    """The node's startup configuration, JSON_IETF from the root."""
    if node.asn is None or node.router_id is None or node.platform != "srlinux":
        raise ValueError(f"{node.name} is not an SR Linux switch with an ASN and a router-id")
    peers = _neighbours(lab, node)
    loopbacks = sorted({str(sw.router_id) for sw in lab.switches()}, key=_ip_key)
    doc: dict[str, Any] = {
        f"{IF}:interface": _interfaces(lab, node),
        f"{NI}:network-instance": [
            {
                "name": "default",
                "type": f"{NI}:default",
                "admin-state": "enable",
                "description": "fabric underlay (day-0)",
                "interface": [{"name": f"{port}.0"} for port, _ in peers] + [{"name": "system0.0"}],
                "protocols": {"srl_nokia-bgp:bgp": _bgp(lab, node)},
            }
        ],
        "srl_nokia-routing-policy:routing-policy": {
            "prefix-set": [
                {
                    "name": POLICY,
                    "prefix": [{"ip-prefix": f"{a}/32", "mask-length-range": "exact"} for a in loopbacks],
                }
            ],
            "policy": [
                {
                    "name": POLICY,
                    "default-action": {"policy-result": "reject"},
                    "statement": [
                        {
                            "name": "loopbacks",
                            "match": {"prefix": {"prefix-set": POLICY}},
                            "action": {"policy-result": "accept"},
                        }
                    ],
                }
            ],
        },
        "srl_nokia-system:system": {"srl_nokia-lldp:lldp": {"admin-state": "enable"}},
    }
    if node.role == "leaf":
        doc["srl_nokia-tunnel-interfaces:tunnel-interface"] = [{"name": TUNNEL}]
    return doc

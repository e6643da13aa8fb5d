"""Lab -> one :class:`labs.files.spec.SwitchSpec` per switch (pure).

The day-0 configuration is the platform's: on ``openconfig`` the underlay of
docs/openconfig-profile.md ("Day-0"): every linked port (ethernetCsmacd,
enabled, MTU 9216, a description naming the peer), ``loopback0`` with the
router-id /32, the default network-instance with BGP (global AS and
router-id, IPV4_UNICAST); on ``srlinux`` the native day-0 of
:mod:`labs.files.srl_day0`.
The LLDP neighbours come from the links: on each switch port, the peer node
as system name, the peer port's LLDP name as port id (through the platform
profile) and a chassis id derived from the peer's name (:func:`chassis_mac`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from labs.files import srl_day0
from labs.files.lab import Lab, LabNode
from labs.files.spec import Credentials, Dataplane, LinuxSwitchSpec, LldpNeighborSpec, ServerTls, SwitchSpec
from models.platforms import profile

PORT_MTU = 9216
IF_ETHERNET = "iana-if-type:ethernetCsmacd"
IF_LOOPBACK = "iana-if-type:softwareLoopback"
NI_DEFAULT = "openconfig-network-instance-types:DEFAULT_INSTANCE"
BGP = "openconfig-policy-types:BGP"
IPV4_UNICAST = "openconfig-bgp-types:IPV4_UNICAST"


def chassis_mac(node: str) -> str:
    """A deterministic locally administered unicast MAC for a node's LLDP
    chassis id: the first six bytes of SHA-256(name), bit 1 set, bit 0 clear."""
    d = hashlib.sha256(node.encode()).digest()[:6]
    return ":".join(f"{b:02x}" for b in ((d[0] & 0xFC) | 0x02, *d[1:]))


def system_description(node: LabNode) -> str:
    if node.is_switch:
        return f"fabric-lab {node.role} (platform {node.platform})"
    return "fabric-lab node (Linux)"


def day0(lab: Lab, switch: LabNode) -> dict[str, Any]:
    """The switch's startup configuration, JSON_IETF from the root."""
    if switch.platform == "srlinux":
        return srl_day0.day0(lab, switch)
    if switch.asn is None or switch.router_id is None:
        raise ValueError(f"{switch.name} is not a switch with an ASN and a router-id")
    plat = profile(switch.platform)
    interfaces: list[dict[str, Any]] = []
    for port in lab.ports(switch.name):
        peer = lab.peer(port)
        name = port.names.oc
        config: dict[str, Any] = {"name": name, "type": IF_ETHERNET, "enabled": True, "mtu": PORT_MTU}
        if peer is not None:
            config["description"] = f"to {peer.node}:{peer.names.oc}"
        interfaces.append({"name": name, "config": config})
    rid = str(switch.router_id)
    lo = plat.vtep_interface
    interfaces.append(
        {
            "name": lo,
            "config": {"name": lo, "type": IF_LOOPBACK, "enabled": True},
            "subinterfaces": {
                "subinterface": [
                    {
                        "index": 0,
                        "config": {"index": 0},
                        "openconfig-if-ip:ipv4": {
                            "addresses": {"address": [{"ip": rid, "config": {"ip": rid, "prefix-length": 32}}]}
                        },
                    }
                ]
            },
        }
    )
    bgp = {
        "identifier": BGP,
        "name": plat.bgp_instance,
        "config": {"identifier": BGP, "name": plat.bgp_instance},
        "bgp": {
            "global": {
                "config": {"as": switch.asn, "router-id": rid},
                "afi-safis": {
                    "afi-safi": [
                        {
                            "afi-safi-name": IPV4_UNICAST,
                            "config": {"afi-safi-name": IPV4_UNICAST, "enabled": True},
                        }
                    ]
                },
            }
        },
    }
    ni = plat.default_instance
    return {
        "openconfig-interfaces:interfaces": {"interface": interfaces},
        "openconfig-network-instance:network-instances": {
            "network-instance": [
                {"name": ni, "config": {"name": ni, "type": NI_DEFAULT}, "protocols": {"protocol": [bgp]}}
            ]
        },
    }


def lldp_neighbors(lab: Lab, switch: LabNode) -> tuple[LldpNeighborSpec, ...]:
    out = []
    for port in lab.ports(switch.name):
        peer = lab.peer(port)
        if peer is None:
            continue
        out.append(
            LldpNeighborSpec(
                local_port=port.names.oc,
                system_name=peer.node,
                port_id=peer.names.lldp,
                port_id_type="INTERFACE_NAME",
                chassis_id=chassis_mac(peer.node),
                chassis_id_type="MAC_ADDRESS",
                port_description=peer.names.oc,
                system_description=system_description(lab.nodes[peer.node]),
            )
        )
    return tuple(out)


def build_specs(
    lab: Lab,
    *,
    tls: Mapping[str, ServerTls] | None,
    credentials: Credentials | None,
    dataplane: Dataplane = "none",
    linux: Mapping[str, LinuxSwitchSpec] | None = None,
) -> list[SwitchSpec]:
    """One spec per switch, in file order. ``tls``: switch name -> server
    material, None only for a lab whose sidecar says ``plaintext: true``.
    ``dataplane``: in-process emulators default to ``none`` whatever the
    sidecar says (the runner passes the lab's mode); ``linux`` needs every
    switch's namespace and daemons in ``linux`` (labs.dataplane.bringup)."""
    if dataplane == "linux":
        missing = [sw.name for sw in lab.switches() if sw.name not in (linux or {})]
        if missing:
            raise ValueError(f"lab {lab.name}: dataplane linux, but no namespace for {', '.join(missing)}")
    if lab.sidecar.gnmi.plaintext != (tls is None):
        raise ValueError(
            f"lab {lab.name}: gnmi.plaintext is {lab.sidecar.gnmi.plaintext}, "
            f"but TLS material was {'not ' if tls is None else ''}given"
        )
    specs = []
    for sw in lab.switches():
        if tls is not None and sw.name not in tls:
            raise ValueError(f"lab {lab.name}: no TLS material for switch {sw.name}")
        specs.append(
            SwitchSpec(
                name=sw.name,
                platform=sw.platform,
                role=sw.role,
                ports=tuple(p.names.oc for p in lab.ports(sw.name)),
                day0=day0(lab, sw),
                lldp=lldp_neighbors(lab, sw),
                tls=None if tls is None else tls[sw.name],
                credentials=credentials,
                validate=lab.sidecar.validate,
                dataplane=dataplane,
                listen="127.0.0.1:0",
                linux=(linux or {}).get(sw.name) if dataplane == "linux" else None,
            )
        )
    return specs

"""The configuration schema the emulator accepts: the OpenConfig subset of
``docs/openconfig-profile.md``, declared as data.

Containers map member names (module prefixes stripped) to nodes; a list
names its keys and holds its key leaves beside ``config``; ``config false``
data (every ``state`` container, LLDP neighbours) is not writable and not
declared here. :func:`lookup` walks a path through the schema.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType

from labs.emulator import types as t
from models.oc.path import Path


@dataclasses.dataclass(frozen=True, slots=True)
class Leaf:
    type: t.LeafType


@dataclasses.dataclass(frozen=True, slots=True)
class LeafList:
    type: t.LeafType


@dataclasses.dataclass(frozen=True, slots=True)
class Container:
    children: Mapping[str, Node]


@dataclasses.dataclass(frozen=True, slots=True)
class ListNode:
    keys: tuple[str, ...]
    entry: Container  # the members of one entry, key leaves included


Node = Leaf | LeafList | Container | ListNode


def C(children: Mapping[str, Node]) -> Container:
    return Container(MappingProxyType(dict(children)))


def leaves(**types: t.LeafType) -> dict[str, Node]:
    """Leaves named with ``_`` for ``-`` (``vlan_id`` -> ``vlan-id``)."""
    return {name.replace("_", "-"): Leaf(typ) for name, typ in types.items()}


def keyed(keys: tuple[str, ...], config: Mapping[str, Node], **more: Node) -> ListNode:
    """An OpenConfig list: key leaves (typed as in ``config``), ``config`` and
    further members (``_`` in their names stands for ``-``)."""
    members: dict[str, Node] = {k: config[k] for k in keys}
    members["config"] = C(config)
    members.update({name.replace("_", "-"): node for name, node in more.items()})
    return ListNode(keys, C(members))


# ------------------------------------------------------------------ identities

IF_TYPE = t.Identity("iana-if-type", ("ethernetCsmacd", "softwareLoopback", "l2vlan", "l3ipvlan", "ieee8023adLag"))
NI_TYPE = t.Identity("openconfig-network-instance-types", ("DEFAULT_INSTANCE", "L3VRF", "L2VSI", "L2P2P", "L2L3"))
ENCAPSULATION = t.Identity("openconfig-network-instance-types", ("MPLS", "VXLAN"))
ENDPOINT_TYPE = t.Identity("openconfig-network-instance-types", ("LOCAL", "REMOTE"))
EVPN_TYPE = t.Identity("openconfig-evpn-types", ("VLAN_BASED", "VLAN_BUNDLE", "VLAN_AWARE"))
PROTOCOL = t.Identity(
    "openconfig-policy-types",
    ("BGP", "ISIS", "OSPF", "OSPF3", "STATIC", "DIRECTLY_CONNECTED", "LOCAL_AGGREGATE", "PIM", "IGMP"),
)
AFI_SAFI = t.Identity(
    "openconfig-bgp-types",
    (
        "IPV4_UNICAST",
        "IPV6_UNICAST",
        "IPV4_LABELED_UNICAST",
        "IPV6_LABELED_UNICAST",
        "L3VPN_IPV4_UNICAST",
        "L3VPN_IPV6_UNICAST",
        "L2VPN_VPLS",
        "L2VPN_EVPN",
    ),
)

# ------------------------------------------------------------------ interfaces

_SWITCHED_VLAN = C(
    {
        "config": C(
            leaves(
                interface_mode=t.Enum(("ACCESS", "TRUNK")),
                access_vlan=t.VLAN_ID,
                native_vlan=t.VLAN_ID,
            )
            | {"trunk-vlans": LeafList(t.TRUNK_VLAN)}
        )
    }
)

_IPV4 = C(
    {
        "config": C(leaves(enabled=t.BOOL, mtu=t.UInt(68, 65535))),
        "addresses": C({"address": keyed(("ip",), leaves(ip=t.IPV4, prefix_length=t.UInt(0, 32)))}),
    }
)

INTERFACES = C(
    {
        "interface": keyed(
            ("name",),
            leaves(
                name=t.STRING,
                type=IF_TYPE,
                enabled=t.BOOL,
                mtu=t.UINT16,
                description=t.STRING,
                loopback_mode=t.BOOL,
            ),
            ethernet=C(
                {
                    "config": C(leaves(mac_address=t.STRING, auto_negotiate=t.BOOL, enable_flow_control=t.BOOL)),
                    "switched-vlan": _SWITCHED_VLAN,
                }
            ),
            subinterfaces=C(
                {
                    "subinterface": keyed(
                        ("index",),
                        leaves(index=t.UINT32, enabled=t.BOOL, description=t.STRING),
                        ipv4=_IPV4,
                    )
                }
            ),
        )
    }
)

# ----------------------------------------------------------- network-instances

_LOCAL_ENDPOINT_VNIS = C(
    {
        "local-endpoint-vni": keyed(
            ("vni",),
            leaves(vni=t.VNI, vni_type=t.Enum(("L2", "L3")), bridge_domain=t.UINT32, l3_vrf_name=t.STRING),
        )
    }
)

_CONNECTION_POINTS = C(
    {
        "connection-point": keyed(
            ("connection-point-id",),
            leaves(connection_point_id=t.STRING),
            endpoints=C(
                {
                    "endpoint": keyed(
                        ("endpoint-id",),
                        leaves(endpoint_id=t.STRING, precedence=t.UINT16, type=ENDPOINT_TYPE),
                        vxlan=C(
                            {
                                "config": C(leaves(enabled=t.BOOL, source_interface=t.STRING, description=t.STRING)),
                                "local-endpoint-vnis": _LOCAL_ENDPOINT_VNIS,
                            }
                        ),
                    )
                }
            ),
        )
    }
)

_EVPN = C(
    {
        "evpn-instances": C(
            {
                "evpn-instance": keyed(
                    ("evi",),
                    leaves(
                        evi=t.EVI,
                        encapsulation_type=ENCAPSULATION,
                        service_type=EVPN_TYPE,
                        route_distinguisher=t.RD_OR_AUTO,
                        replication_mode=t.Enum(("STATIC_INGRESS_REPLICATION", "BGP", "MULTICAST")),
                        multicast_group=t.IP,
                    ),
                    import_export_policy=C(
                        {
                            "config": C(
                                {
                                    "import-route-target": LeafList(t.RT_OR_AUTO),
                                    "export-route-target": LeafList(t.RT_OR_AUTO),
                                }
                            )
                        }
                    ),
                    vxlan=C(
                        {
                            "config": C(
                                leaves(
                                    vni=t.VNI,
                                    overlay_endpoint_network_instance=t.STRING,
                                    overlay_endpoint=t.STRING,
                                    host_reachability_bgp=t.BOOL,
                                )
                            )
                        }
                    ),
                )
            }
        )
    }
)

_AFI_SAFIS = C({"afi-safi": keyed(("afi-safi-name",), leaves(afi_safi_name=AFI_SAFI, enabled=t.BOOL))})

_COMMUNITY = LeafList(t.Enum(("STANDARD", "EXTENDED", "LARGE", "BOTH", "NONE")))

_BGP = C(
    {
        "global": C({"config": C(leaves(router_id=t.IPV4) | {"as": Leaf(t.UINT32)}), "afi-safis": _AFI_SAFIS}),
        "neighbors": C(
            {
                "neighbor": keyed(
                    ("neighbor-address",),
                    leaves(
                        neighbor_address=t.IP,
                        peer_as=t.UINT32,
                        local_as=t.UINT32,
                        peer_group=t.STRING,
                        description=t.STRING,
                        enabled=t.BOOL,
                    )
                    | {"send-community-type": _COMMUNITY},
                    transport=C({"config": C(leaves(local_address=t.STRING, passive_mode=t.BOOL))}),
                    ebgp_multihop=C({"config": C(leaves(enabled=t.BOOL, multihop_ttl=t.UINT8))}),
                    afi_safis=_AFI_SAFIS,
                )
            }
        ),
        "peer-groups": C(
            {
                "peer-group": keyed(
                    ("peer-group-name",),
                    leaves(peer_group_name=t.STRING, peer_as=t.UINT32, local_as=t.UINT32, description=t.STRING)
                    | {"send-community-type": _COMMUNITY},
                    transport=C({"config": C(leaves(local_address=t.STRING, passive_mode=t.BOOL))}),
                    afi_safis=_AFI_SAFIS,
                )
            }
        ),
    }
)

NETWORK_INSTANCES = C(
    {
        "network-instance": keyed(
            ("name",),
            leaves(
                name=t.STRING,
                type=NI_TYPE,
                description=t.STRING,
                router_id=t.IPV4,
                route_distinguisher=t.RD,
                enabled=t.BOOL,
            ),
            vlans=C(
                {
                    "vlan": keyed(
                        ("vlan-id",),
                        leaves(vlan_id=t.VLAN_ID, name=t.STRING, status=t.Enum(("ACTIVE", "SUSPENDED"))),
                    )
                }
            ),
            interfaces=C({"interface": keyed(("id",), leaves(id=t.STRING, interface=t.STRING, subinterface=t.UINT32))}),
            connection_points=_CONNECTION_POINTS,
            evpn=_EVPN,
            protocols=C(
                {
                    "protocol": keyed(
                        ("identifier", "name"),
                        leaves(identifier=PROTOCOL, name=t.STRING, enabled=t.BOOL),
                        bgp=_BGP,
                    )
                }
            ),
        )
    }
)

# ------------------------------------------------------------------------ lldp

LLDP = C(
    {
        "config": C(leaves(enabled=t.BOOL, hello_timer=t.UINT64, system_name=t.STRING)),
        "interfaces": C({"interface": keyed(("name",), leaves(name=t.STRING, enabled=t.BOOL))}),
    }
)

ROOT = C({"interfaces": INTERFACES, "network-instances": NETWORK_INSTANCES, "lldp": LLDP})

#: members that hold state (config false) wherever they appear
STATE_MEMBERS = frozenset({"state", "neighbors"})


class SchemaMiss(Exception):
    """A path that leaves the schema; ``at`` is the offending prefix."""

    def __init__(self, at: Path, reason: str) -> None:
        super().__init__(f"{at}: {reason}")
        self.at = at
        self.reason = reason


def child(node: Node, name: str) -> Node | None:
    if isinstance(node, Container):
        return node.children.get(name)
    if isinstance(node, ListNode):
        return node.entry.children.get(name)
    return None


def lookup(path: Path, root: Container = ROOT, state_members: frozenset[str] = STATE_MEMBERS) -> Node | None:
    """The schema node at a path (in ``root``, the OpenConfig subset unless
    another platform's), ``None`` below a wildcard; raises SchemaMiss naming
    the first element that is not in the schema."""
    node: Node = root
    for i, elem in enumerate(path.elems):
        if elem.name in ("*", "..."):
            return None
        here = Path(path.elems[: i + 1])
        if isinstance(node, ListNode) and i and not path.elems[i - 1].keys:
            raise SchemaMiss(Path(path.elems[:i]), "a list entry needs its keys")
        nxt = child(node, elem.name)
        if nxt is None:
            reason = (
                "state data (config false) cannot be written"
                if elem.name in state_members
                else "not in the supported schema"
            )
            raise SchemaMiss(here, reason)
        if elem.keys and not isinstance(nxt, ListNode):
            raise SchemaMiss(here, f"{elem.name} is not a list and takes no keys")
        node = nxt
    return node

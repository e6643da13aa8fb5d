"""The native SR Linux 25.3 configuration the emulator's ``srlinux`` profile
accepts, declared as data: fabricd's service (``srl_nokia-interfaces`` and
``-interfaces-vlans``, ``-tunnel-interfaces``, ``-network-instance``,
``-bgp-evpn``, ``-bgp-vpn``) and the day-0 underlay a lab node starts from
(``srl_nokia-bgp`` in the default network-instance, ``-routing-policy``,
``-interfaces-router-adv``, LLDP under ``srl_nokia-system``).

Types, ranges and patterns follow Nokia's 25.3.1 models (the value sets of
the 7220 IXR-D2L where features decide); native lists hold their leaves
directly (no ``config`` container). Nodes Nokia marks ``config false``
(oper-state, statistics, LLDP neighbours...) are not declared: they are
state, written by the emulator, never by a Set. What the YANG states as
``must``, ``mandatory`` or references, and what the box refuses beyond it,
is :mod:`labs.emulator.srlinux.rules`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from labs.emulator import types as t
from labs.emulator.schema import C, Container, Leaf, LeafList, ListNode, Node

IF = "srl_nokia-interfaces"
NI = "srl_nokia-network-instance"
COMMON = "srl_nokia-common"


def entries(keys: tuple[str, ...], members: Mapping[str, Node]) -> ListNode:
    """A native list: key leaves beside the other members."""
    return ListNode(keys, C(members))


def _n(**nodes: Node) -> dict[str, Node]:
    """Members named with ``_`` for ``-``."""
    return {name.replace("_", "-"): node for name, node in nodes.items()}


# ------------------------------------------------------------------ types

ADMIN_STATE = t.Enum(("enable", "disable"))
DESCRIPTION = t.Str(length=(1, 255))
NAME = t.Str(length=(1, 255))
_SLOT = r"[1-9][0-9]?"
_PORT = r"([1-9][0-9]?|1[01][0-9]|12[0-8])"
ETHERNET = rf"ethernet-{_SLOT}/{_PORT}"
_LO = r"lo(0|1[0-9][0-9]|2([0-4][0-9]|5[0-5])|[1-9][0-9]|[1-9])"
_IRB = r"irb(0|1[0-9][0-9]|2([0-4][0-9]|5[0-5])|[1-9][0-9]|[1-9])"
_LAG = r"lag([1-9][0-9]{0,2}|1000)"
INTERFACE_NAME = t.Str(rf"mgmt0|system0|{_LO}|{ETHERNET}|{_IRB}|{_LAG}", "an SR Linux interface name")
SUBINTERFACE_NAME = t.Str(
    rf"(mgmt0|system0|{_LO}|{ETHERNET}|{_IRB}|{_LAG})\.(0|[1-9][0-9]{{0,3}})",
    "a subinterface name (<interface>.<index>)",
)
TUNNEL_NAME = t.Str(r"vxlan(0|1[0-9][0-9]|2([0-4][0-9]|5[0-5])|[1-9][0-9]|[1-9])", "a tunnel-interface name (vxlanN)")
VXLAN_REF = t.Str(
    r"vxlan(0|1[0-9][0-9]|2([0-4][0-9]|5[0-5])|[1-9][0-9]|[1-9])\.(0|[1-9][0-9]{0,7})",
    "a vxlan-interface name (vxlanN.<index>)",
)
RESTRICTED_NAME = t.Str(
    r"[A-Za-z0-9!@#$%^&()|+=`~.,_:;?-][A-Za-z0-9 !@#$%^&()|+=`~.,_:;?-]*",
    "a restricted name (no control characters)",
    length=(1, 247),
)
SI_TYPE = t.Identity(IF, ("routed", "bridged", "local-mirror-dest"))
#: a vxlan-interface's type lives in srl_nokia-tunnel-interfaces: the prefix is required
VX_TYPE = t.Identity(IF, ("routed", "bridged", "local-mirror-dest"), bare=False)
NI_TYPE = t.Identity(NI, ("default", "ip-vrf", "mac-vrf", "host", "vpws"))
AFI_SAFI = t.Identity(
    COMMON,
    (
        "ipv4-unicast",
        "ipv6-unicast",
        "evpn",
        "l3vpn-ipv4-unicast",
        "l3vpn-ipv6-unicast",
        "ipv4-labeled-unicast",
        "ipv6-labeled-unicast",
        "route-target",
        "srte-policy-ipv4",
        "srte-policy-ipv6",
        "link-state",
    ),
    bare=False,
)
PROTOCOL = t.Identity(COMMON, ("aggregate", "bgp", "host", "local", "static", "isis", "ospfv2", "ospfv3"), bare=False)
VLAN_ID = t.Union((t.VLAN_ID, t.Enum(("optional",))), "a VLAN id 1..4094 or 'optional'")
AS_NUMBER = t.UInt(1, 4294967295)
IPV4_PREFIX = t.Predicate(lambda v: isinstance(v, str) and _prefix(v, 4), "an IPv4 prefix (a.b.c.d/n)")
IPV6_PREFIX = t.Predicate(lambda v: isinstance(v, str) and _prefix(v, 6), "an IPv6 prefix")
IP_PREFIX = t.Union((IPV4_PREFIX, IPV6_PREFIX), "an IP prefix")
_ADMIN = r"(([0-9]{1,10}|[0-9]{1,3}(\.[0-9]{1,3}){3}):[0-9]{1,10})"
ROUTE_TARGET = t.Str(rf"target:{_ADMIN}", "a route target target:<ASN or IPv4>:<number>")
RD = t.Str(_ADMIN, "a route distinguisher <ASN or IPv4>:<number>")
MASK_RANGE = t.Str(
    r"exact|([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8])\.\.([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8])", "exact or a..b"
)
ALLOWED_AS = t.Str(r"[0-9]+(\.\.[0-9]+)?", "an ASN or a range a..b")
POLICY_RESULT = t.Enum(("accept", "reject", "next-entry", "next-policy"))


def _prefix(value: str, version: int) -> bool:
    try:
        net = ipaddress.ip_interface(value)
    except ValueError:
        return False
    return net.version == version and "/" in value


# ------------------------------------------------------------- interfaces

EMPTY = t.Predicate(lambda v: v in ([None], {}), "an empty leaf ([null])")
_ADDRESSES = entries(("ip-prefix",), _n(ip_prefix=Leaf(IP_PREFIX), primary=Leaf(EMPTY)))

_RA = C(
    {
        "router-role": C(
            _n(
                admin_state=Leaf(ADMIN_STATE),
                max_advertisement_interval=Leaf(t.UInt(4, 1800)),
                min_advertisement_interval=Leaf(t.UInt(3, 1350)),
                current_hop_limit=Leaf(t.UINT8),
            )
        )
    }
)

_ENCAP = C(
    {
        "single-tagged": C({"vlan-id": Leaf(VLAN_ID)}),
        "untagged": C({}),
        "single-tagged-range": C(
            {
                "low-vlan-id": entries(
                    ("range-low-vlan-id",),
                    _n(range_low_vlan_id=Leaf(t.VLAN_ID), high_vlan_id=Leaf(t.VLAN_ID)),
                )
            }
        ),
    }
)

SUBINTERFACE = entries(
    ("index",),
    _n(
        index=Leaf(t.UInt(0, 9999)),
        type=Leaf(SI_TYPE),
        admin_state=Leaf(ADMIN_STATE),
        description=Leaf(DESCRIPTION),
        ip_mtu=Leaf(t.UInt(1280, 9486)),
        l2_mtu=Leaf(t.UInt(1450, 9500)),
        vlan=C({"encap": _ENCAP}),
        ipv4=C(_n(admin_state=Leaf(ADMIN_STATE), address=_ADDRESSES)),
        ipv6=C(_n(admin_state=Leaf(ADMIN_STATE), address=_ADDRESSES, router_advertisement=_RA)),
    ),
)

INTERFACE = entries(
    ("name",),
    _n(
        name=Leaf(INTERFACE_NAME),
        admin_state=Leaf(ADMIN_STATE),
        description=Leaf(DESCRIPTION),
        mtu=Leaf(t.UInt(1500, 9500)),
        vlan_tagging=Leaf(t.BOOL),
        tpid=Leaf(t.Identity("srl_nokia-interfaces-vlans", ("TPID_0X8100", "TPID_0X88A8", "TPID_0X9100", "TPID_ANY"))),
        subinterface=SUBINTERFACE,
    ),
)

TUNNEL_INTERFACE = entries(
    ("name",),
    _n(
        name=Leaf(TUNNEL_NAME),
        vxlan_interface=entries(
            ("index",),
            _n(
                index=Leaf(t.UInt(0, 99999999)),
                type=Leaf(VX_TYPE),
                ingress=C({"vni": Leaf(t.VNI)}),
                egress=C({"source-ip": Leaf(t.Enum(("use-system-ipv4-address",)))}),
            ),
        ),
    ),
)

# ------------------------------------------------------ network-instance

_EVPN_INSTANCE = entries(
    ("id",),
    _n(
        id=Leaf(t.UInt(1, 1)),
        admin_state=Leaf(ADMIN_STATE),
        encapsulation_type=Leaf(t.Enum(("vxlan", "mpls"))),
        vxlan_interface=Leaf(VXLAN_REF),
        evi=Leaf(t.UInt(1, 65535)),
        ecmp=Leaf(t.UInt(1, 64)),
    ),
)

_VPN_INSTANCE = entries(
    ("id",),
    _n(
        id=Leaf(t.UInt(1, 2)),
        route_distinguisher=C({"rd": Leaf(RD)}),
        route_target=C(_n(export_rt=Leaf(ROUTE_TARGET), import_rt=Leaf(ROUTE_TARGET))),
    ),
)

_AFI_OPTIONS = _n(
    ipv4_unicast=C(_n(advertise_ipv6_next_hops=Leaf(t.BOOL), receive_ipv6_next_hops=Leaf(t.BOOL))),
    ipv6_unicast=C({}),
    evpn=C(
        _n(
            rapid_update=Leaf(t.BOOL),
            inter_as_vpn=Leaf(t.BOOL),
            keep_all_routes=Leaf(t.BOOL),
            advertise_ipv6_next_hops=Leaf(t.BOOL),
        )
    ),
)
_AFI_SAFI = entries(("afi-safi-name",), _n(afi_safi_name=Leaf(AFI_SAFI), admin_state=Leaf(ADMIN_STATE), **_AFI_OPTIONS))
_POLICIES = _n(export_policy=LeafList(NAME), import_policy=LeafList(NAME))
_PEER = _n(
    admin_state=Leaf(ADMIN_STATE),
    description=Leaf(DESCRIPTION),
    peer_as=Leaf(AS_NUMBER),
    next_hop_self=Leaf(t.BOOL),
    local_as=C(_n(as_number=Leaf(AS_NUMBER), prepend_global_as=Leaf(t.BOOL), prepend_local_as=Leaf(t.BOOL))),
    transport=C(_n(local_address=Leaf(t.IP), passive_mode=Leaf(t.BOOL))),
    route_reflector=C(_n(client=Leaf(t.BOOL), cluster_id=Leaf(t.IPV4))),
    afi_safi=_AFI_SAFI,
    **_POLICIES,
)

BGP = C(
    _n(
        admin_state=Leaf(ADMIN_STATE),
        autonomous_system=Leaf(AS_NUMBER),
        router_id=Leaf(t.IPV4),
        ebgp_default_policy=C(_n(import_reject_all=Leaf(t.BOOL), export_reject_all=Leaf(t.BOOL))),
        afi_safi=_AFI_SAFI,
        route_advertisement=C(_n(rapid_withdrawal=Leaf(t.BOOL), wait_for_fib_install=Leaf(t.BOOL))),
        group=entries(("group-name",), _n(group_name=Leaf(NAME), **_PEER)),
        neighbor=entries(("peer-address",), _n(peer_address=Leaf(t.IP), peer_group=Leaf(NAME), **_PEER)),
        dynamic_neighbors=C(
            _n(
                interface=entries(
                    ("interface-name",),
                    _n(
                        interface_name=Leaf(SUBINTERFACE_NAME),
                        peer_group=Leaf(NAME),
                        allowed_peer_as=LeafList(ALLOWED_AS),
                        max_sessions=Leaf(t.UInt(1, 65535)),
                    ),
                ),
                accept=C(
                    {
                        "match": entries(
                            ("prefix",),
                            _n(prefix=Leaf(IP_PREFIX), peer_group=Leaf(NAME), allowed_peer_as=LeafList(ALLOWED_AS)),
                        )
                    }
                ),
            )
        ),
        **_POLICIES,
    )
)

NETWORK_INSTANCE = entries(
    ("name",),
    _n(
        name=Leaf(RESTRICTED_NAME),
        type=Leaf(NI_TYPE),
        admin_state=Leaf(ADMIN_STATE),
        description=Leaf(DESCRIPTION),
        router_id=Leaf(t.IPV4),
        interface=entries(("name",), {"name": Leaf(SUBINTERFACE_NAME)}),
        vxlan_interface=entries(("name",), {"name": Leaf(VXLAN_REF)}),
        protocols=C(
            _n(
                bgp_evpn=C({"bgp-instance": _EVPN_INSTANCE}),
                bgp_vpn=C({"bgp-instance": _VPN_INSTANCE}),
                bgp=BGP,
            )
        ),
    ),
)

# ----------------------------------------------------- routing-policy, system

ROUTING_POLICY = C(
    _n(
        prefix_set=entries(
            ("name",),
            _n(
                name=Leaf(NAME),
                prefix=entries(
                    ("ip-prefix", "mask-length-range"),
                    _n(ip_prefix=Leaf(IP_PREFIX), mask_length_range=Leaf(MASK_RANGE)),
                ),
            ),
        ),
        policy=entries(
            ("name",),
            _n(
                name=Leaf(NAME),
                default_action=C({"policy-result": Leaf(POLICY_RESULT)}),
                statement=entries(
                    ("name",),
                    _n(
                        name=Leaf(NAME),
                        match=C(_n(prefix=C({"prefix-set": Leaf(NAME)}), protocol=Leaf(PROTOCOL))),
                        action=C({"policy-result": Leaf(POLICY_RESULT)}),
                    ),
                ),
            ),
        ),
    )
)

SYSTEM = C(
    {
        "lldp": C(
            _n(
                admin_state=Leaf(ADMIN_STATE),
                hello_timer=Leaf(t.UInt(1, 65535)),
                hold_multiplier=Leaf(t.UInt(1, 100)),
                interface=entries(("name",), _n(name=Leaf(INTERFACE_NAME), admin_state=Leaf(ADMIN_STATE))),
            )
        ),
        "name": C({"host-name": Leaf(t.Str(length=(1, 63)))}),
    }
)

ROOT: Container = C(
    _n(
        interface=INTERFACE,
        tunnel_interface=TUNNEL_INTERFACE,
        network_instance=NETWORK_INSTANCE,
        routing_policy=ROUTING_POLICY,
        system=SYSTEM,
    )
)

#: members that hold state (config false) on SR Linux, wherever they appear
STATE_MEMBERS = frozenset(
    {"oper-state", "oper-down-reason", "statistics", "last-change", "ifindex", "mac-table", "traffic-rate"}
)

"""What fabricd knows of Nokia SR Linux's native schema (25.3): list keys and
module boundaries of the subset it reads and writes.

The service's configuration (``srl_nokia-interfaces`` and ``-interfaces-vlans``,
``srl_nokia-tunnel-interfaces``, ``srl_nokia-network-instance``,
``srl_nokia-bgp-evpn``, ``srl_nokia-bgp-vpn``), the LLDP neighbour state
(``srl_nokia-lldp`` under ``srl_nokia-system``), and the day-0 underlay a
lab's SR Linux node starts from (``srl_nokia-bgp`` in the default
network-instance, ``srl_nokia-routing-policy``, IPv6 router advertisements of
``srl_nokia-interfaces-router-adv``): fabricd never writes those, but a
whole switch configuration holds them. Native top-level names
(``interface``, ``network-instance``, ``system``...) never meet OpenConfig's
(``interfaces``, ``network-instances``, ``lldp``), so one key table serves
both (:mod:`models.oc.schema` joins them and a test holds them apart).
"""

from __future__ import annotations

from collections.abc import Callable

SchemaPath = tuple[str, ...]
KeyType = Callable[[str], object]

_SUBIF = ("interface", "subinterface")
_NI = ("network-instance",)
_LLDP_NEIGHBOR = ("system", "lldp", "interface", "neighbor")
_BGP = ("network-instance", "protocols", "bgp")
_POLICY = ("routing-policy", "policy")

#: list schema path -> ((key name, key type), ...)
LIST_KEYS: dict[SchemaPath, tuple[tuple[str, KeyType], ...]] = {
    ("interface",): (("name", str),),
    _SUBIF: (("index", int),),
    (*_SUBIF, "vlan", "encap", "single-tagged-range", "low-vlan-id"): (("range-low-vlan-id", int),),
    (*_SUBIF, "ipv4", "address"): (("ip-prefix", str),),
    (*_SUBIF, "ipv6", "address"): (("ip-prefix", str),),
    ("tunnel-interface",): (("name", str),),
    ("tunnel-interface", "vxlan-interface"): (("index", int),),
    # state: a VNI's flood list (srl_nokia-tunnel-interfaces-vxlan-interface-bridge-table-multicast-destinations)
    ("tunnel-interface", "vxlan-interface", "bridge-table", "multicast-destinations", "destination"): (
        ("vtep", str),
        ("vni", int),
    ),
    _NI: (("name", str),),
    (*_NI, "interface"): (("name", str),),
    (*_NI, "vxlan-interface"): (("name", str),),
    (*_NI, "protocols", "bgp-evpn", "bgp-instance"): (("id", int),),
    (*_NI, "protocols", "bgp-vpn", "bgp-instance"): (("id", int),),
    ("system", "lldp", "interface"): (("name", str),),
    ("system", "lldp", "management-address"): (("subinterface", str),),
    _LLDP_NEIGHBOR: (("id", str),),
    (*_LLDP_NEIGHBOR, "management-address"): (("address", str),),
    (*_LLDP_NEIGHBOR, "capability"): (("name", str),),
    (*_LLDP_NEIGHBOR, "custom-tlv"): (("type", int), ("oui", str), ("oui-subtype", int)),
    # day-0: the underlay (BGP in the default network-instance) and its policies
    (*_BGP, "afi-safi"): (("afi-safi-name", str),),
    (*_BGP, "group"): (("group-name", str),),
    (*_BGP, "group", "afi-safi"): (("afi-safi-name", str),),
    (*_BGP, "neighbor"): (("peer-address", str),),
    (*_BGP, "neighbor", "afi-safi"): (("afi-safi-name", str),),
    (*_BGP, "dynamic-neighbors", "interface"): (("interface-name", str),),
    (*_BGP, "dynamic-neighbors", "accept", "match"): (("prefix", str),),
    ("routing-policy", "prefix-set"): (("name", str),),
    ("routing-policy", "prefix-set", "prefix"): (("ip-prefix", str), ("mask-length-range", str)),
    _POLICY: (("name", str),),
    (*_POLICY, "statement"): (("name", str),),
}

#: schema path -> module defining the node there (JSON_IETF names it at the top
#: level and where a module augments another)
MODULE_AT: dict[SchemaPath, str] = {
    ("interface",): "srl_nokia-interfaces",
    ("interface", "vlan-tagging"): "srl_nokia-interfaces-vlans",
    ("interface", "tpid"): "srl_nokia-interfaces-vlans",
    (*_SUBIF, "vlan"): "srl_nokia-interfaces-vlans",
    ("tunnel-interface",): "srl_nokia-tunnel-interfaces",
    _NI: "srl_nokia-network-instance",
    (*_NI, "protocols", "bgp-evpn", "bgp-instance"): "srl_nokia-bgp-evpn",
    (*_NI, "protocols", "bgp-vpn"): "srl_nokia-bgp-vpn",
    ("system",): "srl_nokia-system",
    ("system", "lldp"): "srl_nokia-lldp",
    _BGP: "srl_nokia-bgp",
    (*_SUBIF, "ipv6", "router-advertisement"): "srl_nokia-interfaces-router-adv",
    ("routing-policy",): "srl_nokia-routing-policy",
}

"""What fabricd knows of the schemas it speaks: list keys, module boundaries.

Only the subset fabricd reads or writes: of OpenConfig (interfaces and
switched-vlan, network-instances with VLANs, EVPN instances, VXLAN connection
points and BGP afi-safis, LLDP neighbour state), and of each native platform
schema (:mod:`models.oc.srlinux_schema`), whose top-level names differ from
OpenConfig's. A JSON array of objects at a schema path not listed here cannot
be indexed and is an error: extend the table.

Schema paths are element names without module prefixes or keys, e.g.
``("network-instances", "network-instance", "vlans", "vlan")``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from models.oc import srlinux_schema

SchemaPath = tuple[str, ...]
KeyType = Callable[[str], object]

_NI = ("network-instances", "network-instance")
_CP = (*_NI, "connection-points", "connection-point")
_EP = (*_CP, "endpoints", "endpoint")
_BGP = (*_NI, "protocols", "protocol", "bgp")

#: OpenConfig: list schema path -> ((key name, key type), ...)
OPENCONFIG_LIST_KEYS: dict[SchemaPath, tuple[tuple[str, KeyType], ...]] = {
    ("interfaces", "interface"): (("name", str),),
    ("interfaces", "interface", "subinterfaces", "subinterface"): (("index", int),),
    ("interfaces", "interface", "subinterfaces", "subinterface", "ipv4", "addresses", "address"): (("ip", str),),
    _NI: (("name", str),),
    (*_NI, "vlans", "vlan"): (("vlan-id", int),),
    (*_NI, "interfaces", "interface"): (("id", str),),
    _CP: (("connection-point-id", str),),
    _EP: (("endpoint-id", str),),
    (*_EP, "vxlan", "local-endpoint-vnis", "local-endpoint-vni"): (("vni", int),),
    (*_EP, "vxlan", "endpoint-peers", "endpoint-peer"): (("peer-address", str),),
    (*_EP, "vxlan", "endpoint-vnis", "endpoint-vni"): (("vni", int),),
    (*_NI, "evpn", "evpn-instances", "evpn-instance"): (("evi", str),),
    (*_NI, "protocols", "protocol"): (("identifier", str), ("name", str)),
    (*_BGP, "global", "afi-safis", "afi-safi"): (("afi-safi-name", str),),
    (*_BGP, "neighbors", "neighbor"): (("neighbor-address", str),),
    (*_BGP, "neighbors", "neighbor", "afi-safis", "afi-safi"): (("afi-safi-name", str),),
    (*_BGP, "peer-groups", "peer-group"): (("peer-group-name", str),),
    (*_BGP, "peer-groups", "peer-group", "afi-safis", "afi-safi"): (("afi-safi-name", str),),
    ("lldp", "interfaces", "interface"): (("name", str),),
    ("lldp", "interfaces", "interface", "neighbors", "neighbor"): (("id", str),),
}

#: OpenConfig: schema path -> module that defines the node there (JSON_IETF
#: qualifies the member name with it: at the top level and where a module
#: augments another)
OPENCONFIG_MODULE_AT: dict[SchemaPath, str] = {
    ("interfaces",): "openconfig-interfaces",
    ("interfaces", "interface", "ethernet"): "openconfig-if-ethernet",
    ("interfaces", "interface", "ethernet", "switched-vlan"): "openconfig-vlan",
    ("interfaces", "interface", "subinterfaces", "subinterface", "ipv4"): "openconfig-if-ip",
    ("network-instances",): "openconfig-network-instance",
    ("lldp",): "openconfig-lldp",
}

#: every schema's lists and module boundaries (their top-level names differ)
LIST_KEYS = {**OPENCONFIG_LIST_KEYS, **srlinux_schema.LIST_KEYS}
MODULE_AT = {**OPENCONFIG_MODULE_AT, **srlinux_schema.MODULE_AT}

_PREFIXED = re.compile(r"^[A-Za-z_][\w.-]*:")
_IDENTITY = re.compile(r"[a-z][a-z0-9-]*[a-z0-9]:([A-Z][A-Z0-9_]*)")


def list_keys(schema: SchemaPath) -> tuple[tuple[str, KeyType], ...] | None:
    return LIST_KEYS.get(schema)


def strip_module(name: str) -> str:
    """``openconfig-vlan:switched-vlan`` -> ``switched-vlan``."""
    if ":" not in name:  # most names (every name in the tree's own form): no regex
        return name
    m = _PREFIXED.match(name)
    return name[m.end() :] if m else name


def canonical_identity(value: str) -> str:
    """``openconfig-bgp-types:L2VPN_EVPN`` -> ``L2VPN_EVPN``; other strings
    (IPv6 addresses, interface names) are returned unchanged."""
    if ":" not in value:
        return value
    m = _IDENTITY.fullmatch(value)
    return m.group(1) if m else value


def key_string(value: object) -> str:
    """The canonical text of a key value, as it appears in a path."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return canonical_identity(value)
    return str(value)

"""OpenConfig documents of docs/openconfig-profile.md for the emulator tests:
a day-0 per "Day-0", and exactly what fabricd writes on a leaf ("What
fabricd owns on a leaf") for VNI V / VLAN L on a port."""

from __future__ import annotations

from typing import Any

from labs.files.spec import LldpNeighborSpec, SwitchSpec

NI = "/network-instances/network-instance"
DEFAULT = f"{NI}[name=default]"
BGP = f"{DEFAULT}/protocols/protocol[identifier=BGP][name=BGP]"
CP = f"{DEFAULT}/connection-points/connection-point[connection-point-id=fabricd-vxlan]"
EP = f"{CP}/endpoints/endpoint[endpoint-id=vtep]"


def port(n: int) -> str:
    return f"ethernet-1/{n}"


def day0(*, ports: int = 4, asn: int = 65001, router_id: str = "10.0.0.1") -> dict[str, Any]:
    ifaces: list[dict[str, Any]] = [
        {
            "name": port(n),
            "config": {
                "name": port(n),
                "type": "iana-if-type:ethernetCsmacd",
                "enabled": True,
                "mtu": 9100,
                "description": f"port {n}",
            },
        }
        for n in range(1, ports + 1)
    ]
    ifaces.append(
        {
            "name": "loopback0",
            "config": {"name": "loopback0", "type": "iana-if-type:softwareLoopback", "enabled": True},
            "subinterfaces": {
                "subinterface": [
                    {
                        "index": 0,
                        "config": {"index": 0},
                        "openconfig-if-ip:ipv4": {
                            "addresses": {
                                "address": [{"ip": router_id, "config": {"ip": router_id, "prefix-length": 32}}]
                            }
                        },
                    }
                ]
            },
        }
    )
    afi = "openconfig-bgp-types:IPV4_UNICAST"
    return {
        "openconfig-interfaces:interfaces": {"interface": ifaces},
        "openconfig-network-instance:network-instances": {
            "network-instance": [
                {
                    "name": "default",
                    "config": {
                        "name": "default",
                        "type": "openconfig-network-instance-types:DEFAULT_INSTANCE",
                    },
                    "protocols": {
                        "protocol": [
                            {
                                "identifier": "openconfig-policy-types:BGP",
                                "name": "BGP",
                                "config": {"identifier": "openconfig-policy-types:BGP", "name": "BGP"},
                                "bgp": {
                                    "global": {
                                        "config": {"as": asn, "router-id": router_id},
                                        "afi-safis": {
                                            "afi-safi": [
                                                {
                                                    "afi-safi-name": afi,
                                                    "config": {"afi-safi-name": afi, "enabled": True},
                                                }
                                            ]
                                        },
                                    },
                                    "neighbors": {
                                        "neighbor": [
                                            {
                                                "neighbor-address": "10.1.0.0",
                                                "config": {
                                                    "neighbor-address": "10.1.0.0",
                                                    "peer-as": 65100,
                                                    "enabled": True,
                                                },
                                            }
                                        ]
                                    },
                                },
                            }
                        ]
                    },
                }
            ]
        },
    }


Replace = tuple[str, Any]


def base_objects() -> list[Replace]:
    """The objects fabricd writes once on every leaf it manages."""
    evpn = "openconfig-bgp-types:L2VPN_EVPN"
    return [
        (f"{CP}/config", {"connection-point-id": "fabricd-vxlan"}),
        (f"{EP}/config", {"endpoint-id": "vtep"}),
        (f"{EP}/vxlan/config", {"enabled": True, "source-interface": "loopback0"}),
        (
            f"{BGP}/bgp/global/afi-safis/afi-safi[afi-safi-name=L2VPN_EVPN]/config",
            {"afi-safi-name": evpn, "enabled": True},
        ),
    ]


def mac_vrf(vni: int, evi: int, *, asn: int = 65000) -> dict[str, Any]:
    return {
        "name": f"fabricd-vni-{vni}",
        "config": {
            "name": f"fabricd-vni-{vni}",
            "type": "openconfig-network-instance-types:L2VSI",
            "description": "fabricd network default/blue",
        },
        "evpn": {
            "evpn-instances": {
                "evpn-instance": [
                    {
                        "evi": str(evi),
                        "config": {
                            "evi": str(evi),
                            "encapsulation-type": "openconfig-network-instance-types:VXLAN",
                            "service-type": "openconfig-evpn-types:VLAN_BASED",
                            "route-distinguisher": "AUTO",
                        },
                        "import-export-policy": {
                            "config": {
                                "import-route-target": [f"{asn}:{vni}"],
                                "export-route-target": [f"{asn}:{vni}"],
                            }
                        },
                        "vxlan": {
                            "config": {
                                "vni": vni,
                                "overlay-endpoint-network-instance": "default",
                                "overlay-endpoint": "vtep",
                            }
                        },
                    }
                ]
            }
        },
    }


def vni_objects(vni: int = 1111, vlan: int = 100, evi: int = 7) -> list[Replace]:
    """The per-VNI objects: VLAN, VLAN<->VNI map, MAC-VRF."""
    return [
        (
            f"{DEFAULT}/vlans/vlan[vlan-id={vlan}]",
            {"vlan-id": vlan, "config": {"vlan-id": vlan, "name": f"fabricd-vni-{vni}", "status": "ACTIVE"}},
        ),
        (
            f"{EP}/vxlan/local-endpoint-vnis/local-endpoint-vni[vni={vni}]",
            {"vni": vni, "config": {"vni": vni, "vni-type": "L2", "bridge-domain": vlan}},
        ),
        (f"{NI}[name=fabricd-vni-{vni}]", mac_vrf(vni, evi)),
    ]


def trunk(p: str, vlans: list[int]) -> Replace:
    return (
        f"/interfaces/interface[name={p}]/ethernet/switched-vlan",
        {"config": {"interface-mode": "TRUNK", "trunk-vlans": vlans}},
    )


def leaf_document(vni: int = 1111, vlan: int = 100, p: str = "ethernet-1/1") -> list[Replace]:
    """Everything fabricd writes for VNI 1111 / VLAN 100 on ethernet-1/1, as replaces."""
    return [*base_objects(), *vni_objects(vni, vlan), trunk(p, [vlan])]


def neighbor(local: int, server: str, nic: str = "eth1", mac: str = "02:00:00:00:00:01") -> LldpNeighborSpec:
    return LldpNeighborSpec(local_port=port(local), system_name=server, port_id=nic, chassis_id=mac)


def spec(name: str = "sw1", *, ports: int = 4, **kw: Any) -> SwitchSpec:
    kw.setdefault("lldp", (neighbor(1, "server1"), neighbor(2, "server2", mac="02:00:00:00:00:02")))
    return SwitchSpec(
        name=name,
        platform="openconfig",
        role="leaf",
        ports=tuple(port(n) for n in range(1, ports + 1)),
        day0=day0(ports=ports),
        **kw,
    )


def day0_path():  # the first port's config: present from day-0 on
    from models.oc.path import Path

    return Path.parse(f"/interfaces/interface[name={port(1)}]/config")

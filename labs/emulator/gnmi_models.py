"""What each emulated platform lists in its Capabilities: model -> revision."""

from __future__ import annotations

#: the revisions of the bindings the openconfig checks follow (oc-config-validate 2.10)
OPENCONFIG = {
    "openconfig-interfaces": "2024-12-05",
    "openconfig-if-ethernet": "2025-11-20",
    "openconfig-if-ip": "2025-06-20",
    "openconfig-vlan": "2023-02-07",
    "openconfig-network-instance": "2025-03-26",
    "openconfig-evpn": "2024-08-14",
    "openconfig-bgp": "2025-04-18",
    "openconfig-lldp": "2026-01-14",
}

#: the srl_nokia modules the srlinux profile serves (Nokia's 25.3.1 revisions)
SRLINUX = {
    "srl_nokia-common": "2025-03-31",
    "srl_nokia-interfaces": "2025-03-31",
    "srl_nokia-interfaces-vlans": "2025-03-31",
    "srl_nokia-interfaces-router-adv": "2021-11-30",
    "srl_nokia-tunnel-interfaces": "2023-10-31",
    "srl_nokia-network-instance": "2025-03-31",
    "srl_nokia-bgp-evpn": "2024-10-31",
    "srl_nokia-bgp-vpn": "2025-03-31",
    "srl_nokia-bgp": "2025-03-31",
    "srl_nokia-routing-policy": "2025-03-31",
    "srl_nokia-system": "2025-03-31",
    "srl_nokia-lldp": "2024-07-31",
}

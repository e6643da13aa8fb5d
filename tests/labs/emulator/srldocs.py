"""SR Linux test data for the emulator's ``srlinux`` profile: switch specs of
the seed-srl lab (day-0 from :mod:`labs.files.srl_day0`, plaintext, no
credentials) and fabricd's objects for one VNI on a port, as its renderer
writes them (docs/platforms.md, "What fabricd owns on an SR Linux leaf")."""

from __future__ import annotations

import dataclasses
from typing import Any

from labs.files.build import build_specs
from labs.files.spec import SwitchSpec
from labs.files.topofile import load_lab
from tests.labs.conftest import LABS

BRIDGED = "srl_nokia-interfaces:bridged"
MAC_VRF = "srl_nokia-network-instance:mac-vrf"


def lab() -> Any:
    loaded = load_lab(LABS / "seed-srl.clab.yml")
    side = loaded.sidecar
    return dataclasses.replace(
        loaded, sidecar=dataclasses.replace(side, gnmi=dataclasses.replace(side.gnmi, plaintext=True))
    )


def spec(name: str = "sw1", **changes: Any) -> SwitchSpec:
    found = next(s for s in build_specs(lab(), tls=None, credentials=None) if s.name == name)
    return dataclasses.replace(found, **changes)


def tagging(port: str = "ethernet-1/1") -> tuple[str, Any]:
    return f"/interface[name={port}]/vlan-tagging", True


def subif(port: str = "ethernet-1/1", vlan: int = 10, *, index: int | None = None) -> tuple[str, Any]:
    index = vlan if index is None else index
    return (
        f"/interface[name={port}]/subinterface[index={index}]",
        {
            "index": index,
            "type": BRIDGED,
            "admin-state": "enable",
            "description": "fabricd",
            "srl_nokia-interfaces-vlans:vlan": {"encap": {"single-tagged": {"vlan-id": vlan}}},
        },
    )


def vxlan(vni: int = 1111) -> tuple[str, Any]:
    return (
        f"/tunnel-interface[name=vxlan1]/vxlan-interface[index={vni}]",
        {"index": vni, "type": BRIDGED, "ingress": {"vni": vni}},
    )


def macvrf(vni: int = 1111, members: tuple[str, ...] = ("ethernet-1/1.10",), *, evi: int = 1) -> tuple[str, Any]:
    rt = f"target:65000:{vni}"
    return (
        f"/network-instance[name=fabricd-vni-{vni}]",
        {
            "name": f"fabricd-vni-{vni}",
            "type": MAC_VRF,
            "admin-state": "enable",
            "description": "fabricd network default/blue",
            "interface": [{"name": m} for m in members],
            "vxlan-interface": [{"name": f"vxlan1.{vni}"}],
            "protocols": {
                "bgp-evpn": {
                    "srl_nokia-bgp-evpn:bgp-instance": [
                        {"id": 1, "admin-state": "enable", "vxlan-interface": f"vxlan1.{vni}", "evi": evi}
                    ]
                },
                "srl_nokia-bgp-vpn:bgp-vpn": {
                    "bgp-instance": [{"id": 1, "route-target": {"export-rt": rt, "import-rt": rt}}]
                },
            },
        },
    )


def service(vni: int = 1111, vlan: int = 10, port: str = "ethernet-1/1") -> list[tuple[str, Any]]:
    """fabricd's objects for VNI ``vni`` on VLAN ``vlan`` of ``port``, in one Set."""
    return [tagging(port), subif(port, vlan), vxlan(vni), macvrf(vni, (f"{port}.{vlan}",))]

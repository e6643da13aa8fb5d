"""Typed identifiers shared by every layer (NewType: zero cost, checked by mypy)."""

from __future__ import annotations

from typing import NewType

#: a switch's name (inventory, LLDP system name of the switch)
SwitchName = NewType("SwitchName", str)
#: a Kubernetes node name (the server's LLDP system name, mapped when they differ)
NodeName = NewType("NodeName", str)
#: a switch port, OpenConfig name (``ethernet-1/1``)
PortName = NewType("PortName", str)
#: a node NIC, Linux name (``eth1``)
NicName = NewType("NicName", str)
#: VXLAN network identifier 1..16777215
Vni = NewType("Vni", int)
#: 802.1Q VLAN id 1..4094
VlanId = NewType("VlanId", int)
#: EVPN instance id 1..65535
Evi = NewType("Evi", int)

VNI_MIN, VNI_MAX = 1, 16_777_215
VLAN_MIN, VLAN_MAX = 1, 4094
EVI_MIN, EVI_MAX = 1, 65_535

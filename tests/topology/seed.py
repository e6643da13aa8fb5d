"""The seed fabric: leaves sw1, sw2 and spine1 (platform openconfig);
server1..3 with eth1 -> sw1 ethernet-1/{1,2,3} and eth2 -> sw2
ethernet-1/{1,2,3}; uplinks sw1/sw2 ethernet-1/49 -> spine1 ethernet-1/1, ethernet-1/2."""

from __future__ import annotations

from models.ids import NicName, NodeName, PortName, SwitchName
from topology.facts import LldpRecord, NodeNicRef, PortIdType, Role, SwitchFacts

SW1, SW2, SPINE1 = SwitchName("sw1"), SwitchName("sw2"), SwitchName("spine1")
SERVERS = tuple(NodeName(f"server{i}") for i in (1, 2, 3))

SWITCHES = (
    SwitchFacts(
        name=SW1,
        role=Role.LEAF,
        platform="openconfig",
        router_id="10.0.0.1",
        vtep_address="10.0.0.1",
        asn=65001,
    ),
    SwitchFacts(
        name=SW2,
        role=Role.LEAF,
        platform="openconfig",
        router_id="10.0.0.2",
        vtep_address="10.0.0.2",
        asn=65002,
    ),
    SwitchFacts(name=SPINE1, role=Role.SPINE, platform="openconfig", router_id="10.0.0.100", asn=65100),
)

PORT_MAP = """\
# the seed fabric, containerlab port names
server1/eth1: sw1/e1-1
server2/eth1: sw1/e1-2
server3/eth1: sw1/e1-3
server1/eth2: sw2/e1-1
server2/eth2: sw2/e1-2
server3/eth2: sw2/e1-3
"""


def ref(node: str, nic: str) -> NodeNicRef:
    return NodeNicRef(node=NodeName(node), nic=NicName(nic))


def rec(
    switch: str,
    port: str,
    system: str,
    port_id: str,
    *,
    kind: PortIdType = PortIdType.INTERFACE_NAME,
    nid: str | None = None,
    chassis: str = "",
    seen: float = 100.0,
    stale: bool = False,
) -> LldpRecord:
    return LldpRecord(
        switch=SwitchName(switch),
        local_port=PortName(port),
        neighbor_id=nid or f"{system}:{port_id}",
        system_name=system,
        port_id=port_id,
        port_id_type=kind,
        chassis_id=chassis or "02:00:00:00:00:01",
        last_seen=seen,
        stale=stale,
    )


def seed_records(seen: float = 100.0) -> list[LldpRecord]:
    out = []
    for i, server in enumerate(SERVERS, start=1):
        out.append(rec("sw1", f"ethernet-1/{i}", server, "eth1", chassis=f"52:54:00:00:0{i}:00", seen=seen))
        out.append(rec("sw2", f"ethernet-1/{i}", server, "eth2", chassis=f"52:54:00:00:0{i}:00", seen=seen))
    for i, leaf in enumerate(("sw1", "sw2"), start=1):
        out.append(rec(leaf, "ethernet-1/49", "spine1", f"ethernet-1/{i}", chassis="1a:00:00:00:00:64", seen=seen))
        out.append(rec("spine1", f"ethernet-1/{i}", leaf, "ethernet-1/49", chassis=f"1a:00:00:00:00:0{i}", seen=seen))
    return out

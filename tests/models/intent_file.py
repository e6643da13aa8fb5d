"""Reads the intent files of tests/golden/render/<case>/intent.yaml."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import yaml

from models.ids import NicName, NodeName, PortName, SwitchName, Vni
from models.intent import Attachment, AttachmentId, Network, NetworkKey
from models.platforms.base import LeafInfo
from models.settings import FabricSettings, parse_fabric_settings


class DictResolver:
    def __init__(self, ports: dict[str, str]) -> None:
        self.ports = {}
        for nic, port in ports.items():
            node, _, n = nic.partition("/")
            switch, _, p = port.partition("/")
            self.ports[(node, n)] = (SwitchName(switch), PortName(p))

    def leaf_port(self, node: NodeName, nic: NicName) -> tuple[SwitchName, PortName]:
        return self.ports[(node, nic)]


@dataclasses.dataclass
class IntentFile:
    settings: FabricSettings
    leaves: list[LeafInfo]
    resolver: DictResolver
    networks: list[Network]
    attachments: list[Attachment]


def attachment(d: dict[str, Any]) -> Attachment:
    ns, _, pod = d["pod"].partition("/")
    return Attachment(
        id=AttachmentId(
            pod_namespace=ns,
            pod_name=pod,
            pod_uid=d["uid"],
            network=NetworkKey.parse(d["network"]),
            interface=d["interface"],
        ),
        container_id=d["container"],
        node=NodeName(d["node"]),
        nic=NicName(d["nic"]),
    )


def load(path: Path) -> IntentFile:
    doc = yaml.safe_load(path.read_text())
    return IntentFile(
        settings=parse_fabric_settings(doc.get("settings")),
        leaves=[LeafInfo(**leaf) for leaf in doc["leaves"]],
        resolver=DictResolver(doc["ports"]),
        networks=[Network(**{**n, "vni": Vni(n["vni"])}) for n in doc["networks"]],
        attachments=[attachment(a) for a in doc.get("attachments", [])],
    )

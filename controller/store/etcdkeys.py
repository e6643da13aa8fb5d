"""How the intent is laid out in etcd: keys, values, the schema version.

Under the prefix (``store.prefix``, default ``/fabricd``)::

    <prefix>/v1/schema                                   {"v": 1}
    <prefix>/v1/leader                                   the elected leader (a lease's key; controller.ha)
    <prefix>/v1/intent/networks/<ns>/<name>              a network and its EVI
    <prefix>/v1/intent/attachments/<pod ns>/<pod>/<uid>/<net ns>/<net>/<interface>
    <prefix>/v1/intent/vlans/<switch>/<vni>              a leaf's VLAN allocation
    <prefix>/v1/intent/claims/<switch>                   a switch whose objects of fabricd the store accounts for

Every segment is percent-encoded (no segment can contain ``/``). All of the
intent sits under one key range, so a restart loads it with
``ceil(keys / PAGE)`` range reads, all at one revision. Each value is a
compact JSON object whose ``v`` is the value's schema version
(:data:`VALUE_VERSION`; a reader refuses a newer one, as the SQLite store
refuses a newer schema) and whose ``term`` is the leader term that wrote it
(forensics: etcd's history says which leader wrote what).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, unquote

from controller.store.base import StoreError
from models.alloc import VlanAllocation
from models.fabric_state import PlacedAttachment
from models.ids import Evi, NicName, NodeName, PortName, SwitchName, VlanId, Vni
from models.intent import OWNER_API, Attachment, AttachmentId, Network, NetworkKey, Placement

VALUE_VERSION = 1
LAYOUT = "v1"
#: keys per range read when loading
PAGE = 5000


def _seg(*parts: object) -> str:
    return "/".join(quote(str(p), safe="") for p in parts)


class Keys:
    def __init__(self, prefix: str) -> None:
        base = "/" + prefix.strip("/") if prefix.strip("/") else ""
        self.root = f"{base}/{LAYOUT}"
        self.schema = f"{self.root}/schema".encode()
        self.leader = f"{self.root}/leader".encode()
        self.intent = f"{self.root}/intent/".encode()
        self._networks = f"{self.root}/intent/networks/"
        self._attachments = f"{self.root}/intent/attachments/"
        self._vlans = f"{self.root}/intent/vlans/"
        self._claims = f"{self.root}/intent/claims/"

    def network(self, key: NetworkKey) -> bytes:
        return (self._networks + _seg(key.namespace, key.name)).encode()

    def attachment(self, aid: AttachmentId) -> bytes:
        parts = (aid.pod_namespace, aid.pod_name, aid.pod_uid, aid.network.namespace, aid.network.name, aid.interface)
        return (self._attachments + _seg(*parts)).encode()

    def vlan(self, switch: SwitchName, vni: Vni) -> bytes:
        return (self._vlans + _seg(switch, int(vni))).encode()

    def claim(self, switch: SwitchName) -> bytes:
        return (self._claims + _seg(switch)).encode()

    def kind(self, key: bytes) -> tuple[str, list[str]]:
        """(``networks`` | ``attachments`` | ``vlans`` | ``claims``, the decoded segments)."""
        text = key.decode()
        rest = text[len(self.intent) :]
        kind, _, tail = rest.partition("/")
        return kind, [unquote(s) for s in tail.split("/")]


def _dump(doc: dict[str, Any], term: int) -> bytes:
    """``v``: the value's schema version; ``term``: the leader term that wrote it (0: the migration)."""
    return json.dumps({"v": VALUE_VERSION, "term": term, **doc}, separators=(",", ":"), sort_keys=True).encode()


def _load(key: bytes, value: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(value)
    except ValueError:
        raise StoreError(f"etcd key {key.decode()!r}: value is not JSON") from None
    version = doc.get("v") if isinstance(doc, dict) else None
    if not isinstance(doc, dict) or not isinstance(version, int) or version > VALUE_VERSION:
        raise StoreError(
            f"etcd key {key.decode()!r} has value version {version!r}, newer than this fabricd ({VALUE_VERSION}): "
            "upgrade fabricd"
        )
    out: dict[str, Any] = doc
    return out


def network_value(net: Network, evi: Evi, created: float, term: int) -> bytes:
    return _dump(
        {
            "vni": int(net.vni),
            "evi": int(evi),
            "shared": net.shared,
            "mtu": net.mtu,
            "description": net.description,
            "owner": net.owner,
            "readiness": net.readiness,
            "created": created,
        },
        term,
    )


def attachment_value(placed: PlacedAttachment, created: float, term: int) -> bytes:
    a = placed.attachment
    p = placed.placement
    return _dump(
        {
            "container_id": a.container_id,
            "node": a.node,
            "nic": a.nic,
            "cni_network": a.cni_network,
            "vni": int(placed.vni),
            "switch": p.switch if p else None,
            "port": p.port if p else None,
            "vlan": placed.vlan,
            "conflict": placed.conflict,
            "created": created,
        },
        term,
    )


def vlan_value(alloc: VlanAllocation, term: int) -> bytes:
    return _dump({"vlan": int(alloc.vlan), "releasing": alloc.releasing}, term)


def decode_network(key: bytes, segs: list[str], value: bytes) -> tuple[Network, Evi, float]:
    d = _load(key, value)
    net = Network(
        namespace=segs[0],
        name=segs[1],
        vni=Vni(d["vni"]),
        shared=d["shared"],
        mtu=d["mtu"],
        description=d["description"],
        owner=d.get("owner", OWNER_API),  # absent in values written before networks had owners
        readiness=d.get("readiness", ""),  # absent before networks had a readiness
    )
    return net, Evi(d["evi"]), float(d["created"])


def decode_attachment(key: bytes, segs: list[str], value: bytes) -> tuple[PlacedAttachment, float]:
    d = _load(key, value)
    aid = AttachmentId(
        pod_namespace=segs[0],
        pod_name=segs[1],
        pod_uid=segs[2],
        network=NetworkKey(segs[3], segs[4]),
        interface=segs[5],
    )
    att = Attachment(
        id=aid,
        container_id=d["container_id"],
        node=NodeName(d["node"]),
        nic=NicName(d["nic"]),
        cni_network=d["cni_network"],
    )
    placement = Placement(SwitchName(d["switch"]), PortName(d["port"])) if d["switch"] is not None else None
    vlan = VlanId(d["vlan"]) if d["vlan"] is not None else None
    placed = PlacedAttachment(attachment=att, vni=Vni(d["vni"]), placement=placement, vlan=vlan, conflict=d["conflict"])
    return placed, float(d["created"])


def decode_vlan(key: bytes, segs: list[str], value: bytes) -> VlanAllocation:
    d = _load(key, value)
    return VlanAllocation(
        switch=SwitchName(segs[0]), vni=Vni(int(segs[1])), vlan=VlanId(d["vlan"]), releasing=d["releasing"]
    )


def claim_value(at: float, term: int) -> bytes:
    return _dump({"at": at}, term)


def decode_claim(key: bytes, segs: list[str], value: bytes) -> SwitchName:
    _load(key, value)  # its version checked
    return SwitchName(segs[0])


def schema_value() -> bytes:
    return _dump({"layout": LAYOUT}, 0)


def decode_schema(key: bytes, value: bytes) -> None:
    _load(key, value)

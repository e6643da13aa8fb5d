"""The fabric's intent as an incremental index (mutable, pure).

Networks, placed attachments and per-leaf VLAN allocations, with reference
counts per (leaf, VNI) and per (leaf, port, VNI). Every mutation is all or
nothing (it raises before changing anything) and returns the object keys it
made dirty per leaf, so the reconciler re-renders exactly what changed: the
work of one attach is proportional to what it touches, not to the size of the
fabric or of the intent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from models.alloc import EviAllocator, LeafVlans, VlanAllocation
from models.errors import (
    AlreadyExistsError,
    NotFoundError,
    PlacementConflict,
    PoolExhaustedError,
    PreconditionError,
)
from models.ids import Evi, NicName, NodeName, PortName, SwitchName, VlanId, Vni
from models.intent import Attachment, AttachmentId, Network, NetworkKey, Placement
from models.platforms.base import ObjectKey, Segment, port_key, port_vni_key, vni_key
from models.settings import FabricSettings

Dirty = dict[SwitchName, set[ObjectKey]]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PlacedAttachment:
    attachment: Attachment
    vni: Vni
    #: None while the NIC cannot be placed (see ``conflict``)
    placement: Placement | None
    #: the VLAN the pod uses on its NIC
    vlan: VlanId | None
    conflict: str = ""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class AttachResult:
    placed: PlacedAttachment
    #: the same identity, container and placement were already there
    replay: bool
    dirty: Dirty


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class DetachResult:
    removed: PlacedAttachment | None
    dirty: Dirty


class LeafIntent:
    """What one leaf must carry: VNIs with their VLANs, VLANs per port."""

    __slots__ = ("_port_vlans", "_vni_ports", "port_vnis", "switch", "vlans", "vni_refs")

    def __init__(self, switch: SwitchName, vlans: LeafVlans) -> None:
        self.switch = switch
        self.vlans = vlans
        self.vni_refs: dict[Vni, int] = {}
        self.port_vnis: dict[PortName, dict[Vni, int]] = {}
        #: port -> its VLANs (a VNI's VLAN is fixed while the VNI is on the leaf)
        self._port_vlans: dict[PortName, set[VlanId]] = {}
        #: VNI -> the ports carrying it
        self._vni_ports: dict[Vni, set[PortName]] = {}

    def add(self, vni: Vni, port: PortName, *, prefer: VlanId | None = None) -> tuple[VlanId, set[ObjectKey]]:
        """One more attachment of ``vni`` on ``port``: its VLAN and the keys
        whose rendering changed (when the VNI is new on the port: the port,
        the (port, VNI) and the VNI, whose objects may list its ports)."""
        vlan = self.vlans.allocate(vni, prefer=prefer)  # raises before anything changes
        changed: set[ObjectKey] = set()
        refs = self.vni_refs.get(vni, 0)
        if not refs:
            changed.add(vni_key(vni))
        self.vni_refs[vni] = refs + 1
        on_port = self.port_vnis.setdefault(port, {})
        if not on_port.get(vni):
            changed.update((port_key(port), port_vni_key(port, vni), vni_key(vni)))
            self._port_vlans.setdefault(port, set()).add(vlan)
            self._vni_ports.setdefault(vni, set()).add(port)
        on_port[vni] = on_port.get(vni, 0) + 1
        return vlan, changed

    def remove(self, vni: Vni, port: PortName) -> set[ObjectKey]:
        """One attachment fewer; the keys whose rendering changed."""
        changed: set[ObjectKey] = set()
        on_port = self.port_vnis.get(port, {})
        if on_port.get(vni, 0) <= 1:
            on_port.pop(vni, None)
            changed.update((port_key(port), port_vni_key(port, vni), vni_key(vni)))
            vlan = self.vlans.vlan_of(vni)
            if vlan is not None:
                self._port_vlans.get(port, set()).discard(vlan)
            ports = self._vni_ports.get(vni)
            if ports is not None:
                ports.discard(port)
                if not ports:
                    del self._vni_ports[vni]
            if not on_port:
                self.port_vnis.pop(port, None)
                self._port_vlans.pop(port, None)
        else:
            on_port[vni] -= 1
        refs = self.vni_refs.get(vni, 0) - 1
        if refs <= 0:
            self.vni_refs.pop(vni, None)
            self.vlans.release(vni)
            changed.add(vni_key(vni))
        else:
            self.vni_refs[vni] = refs
        return changed

    def port_vlans(self, port: PortName) -> frozenset[VlanId]:
        return frozenset(self._port_vlans.get(port, ()))

    def vni_ports(self, vni: Vni) -> frozenset[PortName]:
        return frozenset(self._vni_ports.get(vni, ()))

    def vnis(self) -> set[Vni]:
        """VNIs the leaf carries or is releasing."""
        return {a.vni for a in self.vlans.allocations()}


class FabricState:
    def __init__(self, settings: FabricSettings) -> None:
        self.settings = settings
        self.networks: dict[NetworkKey, Network] = {}
        self._by_vni: dict[Vni, NetworkKey] = {}
        self.evis = EviAllocator()
        self.attachments: dict[AttachmentId, PlacedAttachment] = {}
        self._by_nic: dict[tuple[NodeName, NicName], set[AttachmentId]] = {}
        self._net_refs: dict[NetworkKey, int] = {}
        self._node_refs: dict[NodeName, int] = {}
        self.leaves: dict[SwitchName, LeafIntent] = {}

    # ------------------------------------------------------------ restore

    @classmethod
    def restore(
        cls,
        settings: FabricSettings,
        *,
        networks: Iterable[tuple[Network, Evi]] = (),
        allocations: Iterable[VlanAllocation] = (),
        attachments: Iterable[PlacedAttachment] = (),
    ) -> FabricState:
        """Rebuild from stored rows; VLANs stay exactly as allocated."""
        state = cls(settings)
        nets = list(networks)
        state.evis = EviAllocator((n.vni, evi) for n, evi in nets)
        for net, _ in nets:
            state.networks[net.key] = net
            state._by_vni[net.vni] = net.key
        by_switch: dict[SwitchName, list[VlanAllocation]] = {}
        for a in allocations:
            by_switch.setdefault(a.switch, []).append(a)
        for switch, allocs in by_switch.items():
            state.leaves[switch] = LeafIntent(switch, LeafVlans(switch, settings.pool_for(switch), allocs))
        for placed in attachments:
            state._index(placed)
            if placed.placement is not None and placed.vlan is not None:
                leaf = state.leaf(placed.placement.switch)
                leaf.add(placed.vni, placed.placement.port, prefer=placed.vlan)
        return state

    # ----------------------------------------------------------- networks

    def network(self, key: NetworkKey) -> Network:
        try:
            return self.networks[key]
        except KeyError:
            raise NotFoundError(f"network {key} does not exist") from None

    def network_by_vni(self, vni: Vni) -> Network | None:
        key = self._by_vni.get(vni)
        return self.networks.get(key) if key else None

    def create_network(self, net: Network) -> tuple[Network, Evi, bool]:
        """Returns (network, EVI, created). Identical re-creation is a no-op."""
        existing = self.networks.get(net.key)
        if existing is not None:
            if existing == net:
                evi = self.evis.evi_of(net.vni)
                assert evi is not None
                return existing, evi, False
            raise AlreadyExistsError(f"network {net.key} exists with other settings (vni {existing.vni})")
        holder = self._by_vni.get(net.vni)
        if holder is not None:
            raise AlreadyExistsError(f"network.vni: {net.vni} is taken by network {holder}")
        evi = self.evis.allocate(net.vni)
        self.networks[net.key] = net
        self._by_vni[net.vni] = net.key
        return net, evi, True

    def delete_network(self, key: NetworkKey) -> Network | None:
        net = self.networks.get(key)
        if net is None:
            return None
        refs = self._net_refs.get(key, 0)
        if refs:
            raise PreconditionError(f"network {key} has {refs} attachment(s); detach them first")
        del self.networks[key]
        del self._by_vni[net.vni]
        self.evis.release(net.vni)
        return net

    def attachment_count(self, key: NetworkKey) -> int:
        return self._net_refs.get(key, 0)

    def node_attachment_count(self, node: NodeName) -> int:
        return self._node_refs.get(node, 0)

    # -------------------------------------------------------- attachments

    def leaf(self, switch: SwitchName) -> LeafIntent:
        leaf = self.leaves.get(switch)
        if leaf is None:
            leaf = LeafIntent(switch, LeafVlans(switch, self.settings.pool_for(switch)))
            self.leaves[switch] = leaf
        return leaf

    def attach(self, att: Attachment, placement: Placement) -> AttachResult:
        """Place an attachment. The same identity with the same container and
        placement is a replay; a new container ID replaces the old one."""
        net = self.network(att.id.network)
        old = self.attachments.get(att.id)
        if old is not None and old.placement == placement and not old.conflict:
            placed = dataclasses.replace(old, attachment=att)
            replay = old.attachment == att
            self._unindex(old)
            self._index(placed)
            return AttachResult(placed=placed, replay=replay, dirty={})
        leaf = self.leaf(placement.switch)
        vlan, changed = leaf.add(net.vni, placement.port)  # may raise: nothing changed yet
        dirty: Dirty = {placement.switch: changed} if changed else {}
        if old is not None:
            self._drop(old, dirty)
        placed = PlacedAttachment(attachment=att, vni=net.vni, placement=placement, vlan=vlan)
        self._index(placed)
        return AttachResult(placed=placed, replay=False, dirty=dirty)

    def detach(self, aid: AttachmentId, container_id: str | None = None) -> DetachResult:
        """Remove an attachment; a stale container ID (not the current one)
        and an unknown identity change nothing."""
        old = self.attachments.get(aid)
        if old is None or (container_id is not None and old.attachment.container_id != container_id):
            return DetachResult(removed=None, dirty={})
        dirty: Dirty = {}
        self._drop(old, dirty)
        return DetachResult(removed=old, dirty=dirty)

    def move_nic(self, node: NodeName, nic: NicName, placement: Placement) -> tuple[list[PlacedAttachment], Dirty]:
        """The NIC is now cabled to ``placement``: its attachments follow with
        their VLAN (the pods use it); where the VLAN cannot be kept the
        attachment becomes a conflict, never a silent renumbering."""
        dirty: Dirty = {}
        moved: list[PlacedAttachment] = []
        for aid in sorted(self._by_nic.get((node, nic), set())):
            old = self.attachments[aid]
            if old.placement == placement:
                continue
            leaf = self.leaf(placement.switch)
            try:
                vlan, changed = leaf.add(old.vni, placement.port, prefer=old.vlan)
                new = dataclasses.replace(old, placement=placement, vlan=vlan, conflict="")
                dirty.setdefault(placement.switch, set()).update(changed)
            except (PlacementConflict, PoolExhaustedError) as e:
                new = dataclasses.replace(old, placement=None, conflict=f"NIC {node}/{nic} moved to {placement}: {e}")
            self._drop(old, dirty)
            self._index(new)
            moved.append(new)
        return moved, dirty

    def confirm_removed(self, switch: SwitchName, vnis: Iterable[Vni]) -> list[tuple[Vni, VlanId]]:
        """The leaf confirmed these VNIs' objects are gone: free their VLANs
        (only those being released)."""
        leaf = self.leaves.get(switch)
        freed: list[tuple[Vni, VlanId]] = []
        if leaf is None:
            return freed
        for vni in vnis:
            if vni in leaf.vni_refs:
                continue
            vlan = leaf.vlans.confirm_removed(vni)
            if vlan is not None:
                freed.append((vni, vlan))
        return freed

    # ------------------------------------------------------------ queries

    def segment(self, switch: SwitchName, vni: Vni) -> Segment | None:
        """VNI ``vni`` as leaf ``switch`` must carry it, or None when the leaf
        must not carry it (absent, or being released)."""
        leaf = self.leaves.get(switch)
        if leaf is None or vni not in leaf.vni_refs:
            return None
        vlan = leaf.vlans.vlan_of(vni)
        net = self.network_by_vni(vni)
        evi = self.evis.evi_of(vni)
        if vlan is None or net is None or evi is None:
            return None
        return Segment(vni=vni, vlan=vlan, evi=evi, network=net.key, ports=leaf.vni_ports(vni))

    def leaves_carrying(self, vni: Vni) -> set[SwitchName]:
        return {s for s, leaf in self.leaves.items() if vni in leaf.vni_refs}

    def attachments_on_nic(self, node: NodeName, nic: NicName) -> list[PlacedAttachment]:
        return [self.attachments[a] for a in sorted(self._by_nic.get((node, nic), set()))]

    def attachments_of(self, node: NodeName) -> list[PlacedAttachment]:
        """The node's attachments, unordered (from the per-NIC index: no walk over every attachment)."""
        return [self.attachments[a] for (n, _), ids in self._by_nic.items() if n == node for a in ids]

    # ------------------------------------------------------------ helpers

    def _index(self, placed: PlacedAttachment) -> None:
        att = placed.attachment
        self.attachments[att.id] = placed
        self._by_nic.setdefault((att.node, att.nic), set()).add(att.id)
        self._net_refs[att.id.network] = self._net_refs.get(att.id.network, 0) + 1
        self._node_refs[att.node] = self._node_refs.get(att.node, 0) + 1

    def _unindex(self, placed: PlacedAttachment) -> None:
        att = placed.attachment
        self.attachments.pop(att.id, None)
        ids = self._by_nic.get((att.node, att.nic))
        if ids is not None:
            ids.discard(att.id)
            if not ids:
                del self._by_nic[(att.node, att.nic)]
        refs = self._net_refs.get(att.id.network, 0) - 1
        if refs > 0:
            self._net_refs[att.id.network] = refs
        else:
            self._net_refs.pop(att.id.network, None)
        count = self._node_refs.get(att.node, 0) - 1
        if count > 0:
            self._node_refs[att.node] = count
        else:
            self._node_refs.pop(att.node, None)

    def _drop(self, old: PlacedAttachment, dirty: Dirty) -> None:
        self._unindex(old)
        if old.placement is not None:
            changed = self.leaf(old.placement.switch).remove(old.vni, old.placement.port)
            if changed:
                dirty.setdefault(old.placement.switch, set()).update(changed)


def merge_dirty(into: Dirty, part: Mapping[SwitchName, Iterable[ObjectKey]]) -> Dirty:
    """Add ``part``'s keys to ``into`` (returned)."""
    for switch, keys in part.items():
        into.setdefault(switch, set()).update(keys)
    return into

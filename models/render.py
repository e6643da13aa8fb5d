"""Rendering: intent + topology + settings -> each leaf's desired objects.

The reconciler calls :func:`render_keys` with the keys a change made dirty
and the leaf's current objects (what the switch has), and :func:`plan_keys`
to get the minimal SetOps per key; a full resync is the same with every key.
:func:`render` renders a whole fabric from scratch (golden tests, `plan`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping
from typing import Any, Protocol

from models.diff import SetOps, apply, diff
from models.fabric_state import FabricState
from models.ids import NicName, NodeName, PortName, SwitchName, Vni
from models.intent import Attachment, Network, Placement
from models.oc.path import Path
from models.oc.tree import Tree
from models.platforms.base import (
    BASE,
    FabricVlans,
    LeafInfo,
    ObjectKey,
    PortInput,
    PortRender,
    VlanInput,
    port_key,
    port_vni_key,
    vni_key,
)
from models.platforms.registry import renderer
from models.settings import FabricSettings

Json = Any
KeyedObjects = dict[ObjectKey, dict[Path, Json]]


class PortResolver(Protocol):
    """Where a node NIC is cabled (the topology core answers this)."""

    def leaf_port(self, node: NodeName, nic: NicName) -> tuple[SwitchName, PortName]: ...


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Rendered:
    desired: KeyedObjects
    #: keys fabricd must leave alone, with the reason (e.g. a foreign access
    #: port); a VLAN a port refused is reported under its (port, VNI) key
    conflicts: dict[ObjectKey, str]


def render_keys(
    state: FabricState,
    leaf: LeafInfo,
    keys: Iterable[ObjectKey],
    current: Mapping[ObjectKey, Mapping[Path, Json]],
    device_vlans: Collection[int] = frozenset(),
) -> Rendered:
    r = renderer(leaf.platform)
    per_vlan = r.profile.vlan_objects
    settings = state.settings
    intent = state.leaves.get(leaf.name)
    ours = FabricVlans(allocated=intent.vlans.in_use() if intent else {}, device=device_vlans)
    vlan_renders: dict[tuple[PortName, Vni], PortRender] = {}  # each (port, VNI) once per call

    def port_vlan(name: PortName, vni: Vni) -> PortRender:
        out = vlan_renders.get((name, vni))
        if out is None:
            vlan = intent.vlans.vlan_of(vni) if intent else None
            inp = VlanInput(
                port=name,
                vlan=vlan or 0,
                wanted=intent is not None and vni in intent.port_vnis.get(name, ()),
                current=current.get(port_vni_key(name, vni), {}),
                port_current=current.get(port_key(name), {}),
            )
            out = vlan_renders[(name, vni)] = r.port_vlan(leaf, inp, settings)
        return out

    desired: KeyedObjects = {}
    conflicts: dict[ObjectKey, str] = {}
    for key in keys:
        if key.kind == "base":
            desired[key] = r.base(leaf, settings)
        elif key.kind == "vni":
            seg = state.segment(leaf.name, Vni(key.vni))
            if seg is None:
                desired[key] = {}
            elif r.profile.vni_lists_ports:
                desired[key] = r.segment(leaf, seg, settings, {p: port_vlan(p, seg.vni) for p in seg.ports})
            else:
                desired[key] = r.segment(leaf, seg, settings)
        elif key.vni:  # one VNI on one port
            if per_vlan:
                out = port_vlan(PortName(key.port), Vni(key.vni))
                desired[key] = out.objects
                if out.conflict:
                    conflicts[key] = out.conflict
        else:
            name = PortName(key.port)
            inp = PortInput(
                port=name,
                vlans=intent.port_vlans(name) if intent else frozenset(),
                current=current.get(key, {}),
                fabric_vlans=ours,
            )
            out = r.port(leaf, inp, settings)
            desired[key] = out.objects
            if out.conflict:
                conflicts[key] = out.conflict
    return Rendered(desired=desired, conflicts=conflicts)


def all_keys(
    state: FabricState, switch: SwitchName, current: Iterable[ObjectKey] = (), *, per_vlan: bool = False
) -> set[ObjectKey]:
    """Every key of a leaf: base, VNIs and ports of the intent and of the
    device; with ``per_vlan`` (the profile's ``vlan_objects``) every (port, VNI)."""
    keys = {BASE, *current}
    leaf = state.leaves.get(switch)
    if leaf is not None:
        keys.update(vni_key(v) for v in leaf.vnis())
        keys.update(port_key(p) for p in leaf.port_vnis)
        if per_vlan:
            keys.update(port_vni_key(p, v) for p, vnis in leaf.port_vnis.items() for v in vnis)
    return keys


def plan_keys(
    leaf: LeafInfo, rendered: Rendered, current: Mapping[ObjectKey, Mapping[Path, Json]]
) -> dict[ObjectKey, SetOps]:
    """Per rendered key, the minimal SetOps turning its current objects into
    the desired ones (keys that need nothing are left out)."""
    r = renderer(leaf.platform)
    out: dict[ObjectKey, SetOps] = {}
    for key in sorted(rendered.desired):
        ops = diff(current.get(key, {}), rendered.desired[key], r.normalize)
        if ops:
            out[key] = ops
    return out


def render(
    networks: Iterable[Network],
    attachments: Iterable[Attachment],
    topology: PortResolver,
    leaves: Iterable[LeafInfo],
    settings: FabricSettings,
) -> dict[SwitchName, Tree]:
    """A whole fabric from scratch: each leaf's desired configuration as a
    tree of its owned objects (for golden files and dry runs)."""
    state = FabricState(settings)
    for net in networks:
        state.create_network(net)
    for att in attachments:
        switch, port = topology.leaf_port(att.node, att.nic)
        state.attach(att, Placement(switch, port))
    out: dict[SwitchName, Tree] = {}
    for leaf in leaves:
        per_vlan = renderer(leaf.platform).profile.vlan_objects
        rendered = render_keys(state, leaf, all_keys(state, leaf.name, per_vlan=per_vlan), {})
        tree = Tree()
        for ops in plan_keys(leaf, rendered, {}).values():
            apply(tree, ops)
        out[leaf.name] = tree
    return out

"""A leaf as the reconciler sees it, for core tests: the switch's whole
configuration in a tree that accepts every Set, read back through the
platform's read paths (a CONFIG Get) and its ``extract`` on every pass, as the
worker reads a switch it just connected to."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from models.diff import SetOps, apply
from models.fabric_state import FabricState
from models.ids import Vni
from models.oc.tree import Tree
from models.platforms.base import LeafInfo, ObjectKey, Renderer
from models.platforms.registry import renderer
from models.render import all_keys, plan_keys, render_keys


class Device:
    def __init__(self, leaf: LeafInfo, config: Any = None) -> None:
        self.leaf = leaf
        self.renderer: Renderer = renderer(leaf.platform)
        self.tree = Tree.from_json(config or {})
        #: the conflicts of the last pass
        self.conflicts: dict[ObjectKey, str] = {}

    def read(self) -> Tree:
        """What a Get of the platform's read paths returns."""
        seen = Tree()
        for pattern in self.renderer.read_paths():
            for path, node in self.tree.find(pattern):
                seen.put(path, copy.deepcopy(node))
        return seen

    def current(self, state: FabricState) -> dict[ObjectKey, dict[Any, Any]]:
        return self.renderer.extract(self.read(), state.settings)

    def sync(self, state: FabricState, keys: Iterable[ObjectKey] | None = None) -> SetOps:
        """One pass over ``keys`` (all of the leaf's: a full pass); the Set is
        applied, and VNIs whose objects are gone are confirmed removed."""
        seen = self.read()
        current = self.renderer.extract(seen, state.settings)
        if keys is None:
            keys = all_keys(state, self.leaf.name, current, per_vlan=self.renderer.profile.vlan_objects)
        keys = set(keys)
        rendered = render_keys(state, self.leaf, keys, current, set(self.renderer.vlans_on_device(seen)))
        self.conflicts = rendered.conflicts
        ops = SetOps()
        for key_ops in plan_keys(self.leaf, rendered, current).values():
            ops = ops + key_ops
        apply(self.tree, ops)
        after = self.current(state)
        state.confirm_removed(self.leaf.name, [Vni(k.vni) for k in keys if k.kind == "vni" and k not in after])
        return ops

    def config(self) -> Any:
        return self.tree.to_json()

"""A leaf simulator for core tests: keeps each leaf's current objects and
applies the planned ops, as a switch that accepts every Set would."""

from __future__ import annotations

from models.diff import SetOps, apply_objects
from models.fabric_state import Dirty, FabricState
from models.ids import SwitchName
from models.platforms.base import LeafInfo, ObjectKey
from models.render import all_keys, plan_keys, render_keys


def device_vlans(current: dict[ObjectKey, dict]) -> set[int]:
    """fabricd-named VLAN objects in a leaf's current objects (as the
    reconciler reads them off the device with vlans_on_device)."""
    out = set()
    for key, objs in current.items():
        if key.kind == "vni":
            for path in objs:
                if path.elems[-1].name == "vlan":
                    out.add(int(path.elems[-1].key_map["vlan-id"]))
    return out


class Fabric:
    def __init__(self, state: FabricState, leaves: list[LeafInfo]) -> None:
        self.state = state
        self.leaves = {leaf.name: leaf for leaf in leaves}
        self.current: dict[SwitchName, dict[ObjectKey, dict]] = {n: {} for n in self.leaves}
        self.conflicts: dict[SwitchName, dict[ObjectKey, str]] = {}

    def sync(self, dirty: Dirty) -> dict[SwitchName, SetOps]:
        out = {}
        for switch, keys in dirty.items():
            ops = self.sync_keys(switch, keys)
            if ops:
                out[switch] = ops
        return out

    def full(self, switch: SwitchName) -> SetOps:
        return self.sync_keys(switch, all_keys(self.state, switch, self.current[switch]))

    def sync_keys(self, switch: SwitchName, keys) -> SetOps:
        leaf = self.leaves[switch]
        cur = self.current[switch]
        rendered = render_keys(self.state, leaf, keys, cur, device_vlans(cur))
        self.conflicts[switch] = rendered.conflicts
        per_key = plan_keys(leaf, rendered, cur)
        ops = SetOps()
        for key, key_ops in per_key.items():
            ops = ops + key_ops
            objs = dict(cur.get(key, {}))
            apply_objects(objs, key_ops)
            if objs:
                cur[key] = objs
            else:
                cur.pop(key, None)
        # the Set succeeded: confirm the VNIs whose objects are gone
        gone = [k.vni for k in keys if k.kind == "vni" and k not in cur]
        self.state.confirm_removed(switch, gone)
        return ops

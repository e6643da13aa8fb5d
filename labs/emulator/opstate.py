"""Operational state the emulator reports, as ops on the state tree.

LLDP (``openconfig-lldp``)::

    /lldp/state/enabled
    /lldp/interfaces/interface[name]/{config,state}/name
    /lldp/interfaces/interface[name]/neighbors/neighbor[id]/state/
        {id, system-name, port-id, port-id-type, chassis-id, chassis-id-type,
         port-description, system-description, ttl}

The neighbour ``id`` is its chassis id. Interfaces::

    /interfaces/interface[name]/state/{name, admin-status, oper-status}

admin-status follows ``config/enabled`` (default true); oper-status is UP
when admin-status is UP (no links to go down without a dataplane).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from labs.emulator.txn import Op
from labs.files.spec import LldpNeighborSpec
from models.oc.path import Elem, Path
from models.oc.tree import KeyedList, Tree

LLDP_TTL = 120

_LLDP_IFACES = Path((Elem("lldp"), Elem("interfaces")))
_IFACES = Path((Elem("interfaces"),))


def lldp_interface(port: str) -> Path:
    return _LLDP_IFACES / Elem.of("interface", {"name": port})


def neighbor_path(port: str, chassis_id: str) -> Path:
    return lldp_interface(port) / "neighbors" / Elem.of("neighbor", {"id": chassis_id})


def lldp_ops(ports: Iterable[str], neighbors: Iterable[LldpNeighborSpec]) -> list[Op]:
    ops = [Op(kind="replace", path=Path.parse("/lldp/state"), value={"enabled": True})]
    for port in ports:
        ops.append(lldp_interface_op(port))
    ops.extend(neighbor_op(n) for n in neighbors)
    return ops


def lldp_interface_op(port: str) -> Op:
    return Op(
        kind="update",
        path=lldp_interface(port),
        value={"name": port, "config": {"name": port}, "state": {"name": port}},
    )


def neighbor_op(n: LldpNeighborSpec) -> Op:
    state = spec_leaves(n)
    return Op(
        kind="replace",
        path=neighbor_path(n.local_port, n.chassis_id),
        value={"id": n.chassis_id, "state": state},
    )


def interface_names(config: Tree) -> list[str]:
    lst = config.root.get("interfaces", {}).get("interface")
    return [kt[0] for kt in lst] if isinstance(lst, KeyedList) else []


def interface_state_op(config: Tree, name: str) -> Op:
    """The state of one interface as the config says it (delete when gone)."""
    path = _IFACES / Elem.of("interface", {"name": name}) / "state"
    entry: Any = config.get(_IFACES / Elem.of("interface", {"name": name}))
    if entry is None:
        return Op(kind="delete", path=path)
    enabled = entry.get("config", {}).get("enabled", True) is not False
    status = "UP" if enabled else "DOWN"
    return Op(kind="replace", path=path, value={"name": name, "admin-status": status, "oper-status": status})


def spec_leaves(n: LldpNeighborSpec) -> dict[str, Any]:
    """A neighbour of the spec as the state leaves every platform reports
    (OpenConfig's names; a platform drops what it does not have)."""
    return {
        "id": n.chassis_id,
        "system-name": n.system_name,
        "port-id": n.port_id,
        "port-id-type": n.port_id_type,
        "chassis-id": n.chassis_id,
        "chassis-id-type": n.chassis_id_type,
        "port-description": n.port_description,
        "system-description": n.system_description,
        "ttl": LLDP_TTL,
    }


class OpenconfigState:
    """The :class:`labs.emulator.statemodel.StateModel` of platform ``openconfig``."""

    tick_s = 0.0  # no churning counters

    def start_ops(self, ports: Iterable[str], config: Tree) -> list[Op]:
        ports = list(ports)
        names = list(dict.fromkeys([*ports, *interface_names(config)]))
        return [*lldp_ops(ports, ()), *(interface_state_op(config, n) for n in names)]

    def interface_names(self, config: Tree) -> list[str]:
        return interface_names(config)

    def touched_interfaces(self, paths: Iterable[Path]) -> list[str]:
        touched: dict[str, None] = {}
        for path in paths:
            e = path.elems
            if len(e) >= 2 and e[0].name == "interfaces" and e[1].name == "interface":
                touched[e[1].key_map.get("name", "")] = None
        return list(touched)

    def interface_ops(self, config: Tree, names: Iterable[str]) -> list[Op]:
        return [interface_state_op(config, n) for n in names]

    def neighbors_at(self, port: str, chassis_id: str | None = None) -> Path:
        keys = {"id": chassis_id} if chassis_id is not None else {}
        return lldp_interface(port) / "neighbors" / Elem.of("neighbor", keys)

    def neighbor_ops(self, port: str, leaves: dict[str, Any]) -> list[Op]:
        cid = str(leaves["id"])
        return [
            lldp_interface_op(port),
            Op(kind="replace", path=neighbor_path(port, cid), value={"id": cid, "state": dict(leaves)}),
        ]

    def tick(self, state: Tree, interval: float) -> list[Op]:
        del state, interval
        return []


OPENCONFIG_STATE = OpenconfigState()

"""Operational state of an emulated SR Linux, as ops on the state tree, at
the native paths (one tree with the configuration on a real box; the
emulator keeps state apart and merges it into Get ALL / STATE and
Subscribe):

* LLDP (``srl_nokia-lldp``)::

      /system/lldp/interface[name]/{name, oper-state, statistics/{frame-in, frame-out}}
      /system/lldp/interface[name]/neighbor[id]/{id, system-name, system-description,
          chassis-id, chassis-id-type, port-id, port-id-type, port-description,
          first-message, last-update}

  The neighbour ``id`` is its chassis id (the box generates one).
* interfaces::

      /interface[name]/{name, oper-state, last-change, statistics/{in-octets, out-octets,
          in-unicast-packets, out-unicast-packets}}
      /interface[name]/subinterface[index]/{index, oper-state, statistics/{in-octets, out-octets}}

  oper-state follows ``admin-state`` (default enable).

The counters move every :data:`TICK_S` seconds, as they do on a switch
carrying traffic (Nokia's model streams interface statistics every 5 s to an
ON_CHANGE subscriber, ``srl_nokia-ext:stream-mode "sample=5"``): a drift
watch that subscribes to a whole ``/interface`` or ``/system/lldp`` sees
them; one on configuration leaves (:data:`models.platforms.profile.SRLINUX`)
sees nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from labs.emulator.txn import Op
from models.oc.path import Elem, Path
from models.oc.tree import KeyedList, Tree

#: seconds between two moves of the counters
TICK_S = 0.5
#: what a tick adds to a port's counters (a trickle of 1500-byte frames)
FRAMES_PER_TICK = 7
_LLDP = Path((Elem("system"), Elem("lldp")))
#: neighbour leaves SR Linux has (OpenConfig's ``ttl`` it has not)
NEIGHBOR_LEAVES = (
    "system-name",
    "system-description",
    "chassis-id",
    "chassis-id-type",
    "port-id",
    "port-id-type",
    "port-description",
)


def interface_path(name: str) -> Path:
    return Path((Elem.of("interface", {"name": name}),))


def lldp_interface(port: str) -> Path:
    return _LLDP / Elem.of("interface", {"name": port})


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _entries(node: Any, name: str) -> KeyedList:
    lst = node.get(name) if isinstance(node, dict) else None
    return lst if isinstance(lst, KeyedList) else KeyedList()


def interface_names(config: Tree) -> list[str]:
    return [kt[0] for kt in _entries(config.root, "interface")]


def _up(entry: Any) -> str:
    return "down" if isinstance(entry, dict) and entry.get("admin-state") == "disable" else "up"


def interface_state_op(config: Tree, name: str, *, port: bool) -> Op:
    """The state of one interface as its configuration says (a cabled port
    without configuration is there, down; another is deleted)."""
    entry = config.get(interface_path(name))
    if entry is None and not port:
        return Op(kind="delete", path=interface_path(name))
    counters = {"in-octets": 0, "out-octets": 0, "in-unicast-packets": 0, "out-unicast-packets": 0}
    value: dict[str, Any] = {
        "name": name,
        "oper-state": "down" if entry is None else _up(entry),
        "last-change": _now(),
        "statistics": counters,
    }
    subs = [
        {
            "index": int(i),
            "oper-state": _up(entry) if _up(s) == "up" else "down",
            "statistics": {"in-octets": 0, "out-octets": 0},
        }
        for (i,), s in _entries(entry, "subinterface").items()
    ]
    if subs:
        value["subinterface"] = subs
    return Op(kind="replace", path=interface_path(name), value=value)


class SrlinuxState:
    """The :class:`labs.emulator.statemodel.StateModel` of platform ``srlinux``."""

    tick_s = TICK_S

    def __init__(self, ports: Iterable[str] = ()) -> None:
        self._ports = frozenset(ports)

    def start_ops(self, ports: Iterable[str], config: Tree) -> list[Op]:
        ports = list(ports)
        ops = [self._lldp_interface(p) for p in ports]
        names = list(dict.fromkeys([*ports, *interface_names(config)]))
        return ops + self.interface_ops(config, names)

    def interface_names(self, config: Tree) -> list[str]:
        return interface_names(config)

    def touched_interfaces(self, paths: Iterable[Path]) -> list[str]:
        touched: dict[str, None] = {}
        for path in paths:
            e = path.elems
            if e and e[0].name == "interface" and "name" in e[0].key_map:
                touched[e[0].key_map["name"]] = None
        return list(touched)

    def interface_ops(self, config: Tree, names: Iterable[str]) -> list[Op]:
        return [interface_state_op(config, n, port=n in self._ports) for n in names]

    def neighbors_at(self, port: str, chassis_id: str | None = None) -> Path:
        keys = {"id": chassis_id} if chassis_id is not None else {}
        return lldp_interface(port) / Elem.of("neighbor", keys)

    def neighbor_ops(self, port: str, leaves: dict[str, Any]) -> list[Op]:
        cid = str(leaves["id"])
        now = _now()
        value = {"id": cid, **{k: leaves[k] for k in NEIGHBOR_LEAVES if k in leaves}}
        value.update({"first-message": now, "last-update": now})
        return [
            Op(kind="update", path=lldp_interface(port), value={"name": port}),
            Op(kind="replace", path=self.neighbors_at(port, cid), value=value),
        ]

    def _lldp_interface(self, port: str) -> Op:
        return Op(
            kind="update",
            path=lldp_interface(port),
            value={"name": port, "oper-state": "up", "statistics": {"frame-in": 0, "frame-out": 0}},
        )

    def tick(self, state: Tree, interval: float) -> list[Op]:
        """The counters after ``interval`` more seconds of traffic."""
        n = max(1, round(interval / TICK_S)) * FRAMES_PER_TICK
        ops = []
        for (name,), entry in _entries(state.root, "interface").items():
            if entry.get("oper-state") != "up":
                continue
            stats = entry.get("statistics") or {}
            at = interface_path(name)
            ops.append(
                Op(
                    kind="update",
                    path=at / "statistics",
                    value={
                        "in-octets": int(stats.get("in-octets", 0)) + n * 1500,
                        "out-octets": int(stats.get("out-octets", 0)) + n * 1500,
                        "in-unicast-packets": int(stats.get("in-unicast-packets", 0)) + n,
                        "out-unicast-packets": int(stats.get("out-unicast-packets", 0)) + n,
                    },
                )
            )
            for (index,), sub in _entries(entry, "subinterface").items():
                s = sub.get("statistics") or {}
                ops.append(
                    Op(
                        kind="update",
                        path=at / Elem.of("subinterface", {"index": index}) / "statistics",
                        value={
                            "in-octets": int(s.get("in-octets", 0)) + n * 100,
                            "out-octets": int(s.get("out-octets", 0)) + n * 100,
                        },
                    )
                )
        for (port,), entry in _entries(state.get(_LLDP) or {}, "interface").items():
            s = entry.get("statistics") or {}
            ops.append(
                Op(
                    kind="update",
                    path=lldp_interface(port) / "statistics",
                    value={"frame-in": int(s.get("frame-in", 0)) + 1, "frame-out": int(s.get("frame-out", 0)) + 1},
                )
            )
        return ops

"""lldpd's neighbours as the switch's LLDP state (pure).

``lldpcli -f json0 show neighbors`` (every list a list, names as fields) ->
neighbour leaves in OpenConfig's names with the local port translated from
its Linux to the switch's name and the id types mapped to OpenConfig's (SR
Linux's are the same); the platform's state model
(:class:`labs.emulator.platform.StateModel`) puts them where the platform
serves them (``/lldp/interfaces/interface[name]/neighbors/neighbor[id]/state``
on openconfig, ``/system/lldp/interface[name]/neighbor[id]`` on srlinux).
The neighbour's ``id`` is its chassis id, as in the in-memory dataplane.

One translation is deliberate: lldpd cannot advertise an interface name
holding a ``/``, so an emulated switch advertises ``ethernet-1/N`` with the
*local* subtype (:mod:`labs.dataplane.lldpd`); a LOCAL port id that is a port
name of the openconfig platform is reported as the INTERFACE_NAME the
emulated switch means, exactly as ``dataplane: none`` reports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labs.emulator.opstate import OPENCONFIG_STATE
from labs.emulator.platform import StateModel
from labs.emulator.txn import Op
from models.oc.path import Path
from models.platforms import PortNameError, profile

#: lldpd's id subtype names -> OpenConfig's
CHASSIS_ID_TYPES = {
    "mac": "MAC_ADDRESS",
    "ip": "NETWORK_ADDRESS",
    "ifname": "INTERFACE_NAME",
    "ifalias": "INTERFACE_ALIAS",
    "local": "LOCAL",
}
PORT_ID_TYPES = CHASSIS_ID_TYPES

Key = tuple[str, str]  # (OpenConfig local port, chassis id)
Neighbours = dict[Key, dict[str, Any]]


def _first(items: Any) -> dict[str, Any]:
    return items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}


def _value(items: Any) -> str:
    return str(_first(items).get("value", ""))


def _port_id_type(kind: str, value: str) -> str:
    oc = PORT_ID_TYPES.get(kind, "LOCAL")
    if oc == "LOCAL":
        try:
            if profile("openconfig").port_names(value).oc == value:
                return "INTERFACE_NAME"
        except PortNameError:
            pass
    return oc


def neighbours(doc: Mapping[str, Any], ports: Mapping[str, str]) -> Neighbours:
    """Neighbour state per (local port, chassis id); ``ports``: Linux -> OpenConfig
    name of the switch's lab ports (neighbours elsewhere are left out)."""
    out: Neighbours = {}
    lldp = doc.get("lldp")
    for section in lldp if isinstance(lldp, list) else []:
        for iface in section.get("interface", []) if isinstance(section, dict) else []:
            local = ports.get(str(iface.get("name", "")))
            if local is None:
                continue
            chassis, port = _first(iface.get("chassis")), _first(iface.get("port"))
            cid = _first(chassis.get("id"))
            pid = _first(port.get("id"))
            chassis_id = str(cid.get("value", ""))
            port_id = str(pid.get("value", ""))
            ttl = _value(port.get("ttl"))
            state: dict[str, Any] = {
                "id": chassis_id,
                "system-name": _value(chassis.get("name")),
                "port-id": port_id,
                "port-id-type": _port_id_type(str(pid.get("type", "")), port_id),
                "chassis-id": chassis_id,
                "chassis-id-type": CHASSIS_ID_TYPES.get(str(cid.get("type", "")), "LOCAL"),
                "port-description": _value(port.get("descr")),
                "system-description": _value(chassis.get("descr")),
            }
            if ttl.isdigit():
                state["ttl"] = int(ttl)
            out[(local, chassis_id)] = state
    return out


def neighbor_path(port: str, chassis_id: str, state: StateModel = OPENCONFIG_STATE) -> Path:
    return state.neighbors_at(port, chassis_id)


def diff(old: Neighbours, new: Neighbours, state: StateModel = OPENCONFIG_STATE) -> list[Op]:
    """Ops turning the reported ``old`` into ``new``: deletes of gone
    neighbours, (re)writes of new or changed ones."""
    ops = [Op(kind="delete", path=neighbor_path(*key, state)) for key in sorted(set(old) - set(new))]
    for key, leaves in sorted(new.items()):
        if old.get(key) != leaves:
            ops.extend(state.neighbor_ops(key[0], leaves))
    return ops

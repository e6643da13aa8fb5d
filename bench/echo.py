"""echo: the drift watch's check of one Set's telemetry, as fabricd's worker
runs it (``EchoFilter``: sending, the notification, sent, committed), in the
shape of the 16-leaf throughput run: each Set gives three ports of a leaf one
more VLAN (the OpenConfig ``trunk-vlans`` leaf-list, rewritten whole and
notified whole) and creates that VLAN's object; the notification is what the
emulator streams (scalar values, leaf-lists as scalar arrays).

Two shapes of the same Sets, timed in alternating chunks in one run:

* ``as sent``: the switch notifies each list in the order fabricd sent it
  (the emulator does): recognised by its bytes;
* ``reordered``: the same lists notified in another order (a switch that
  sorts differently): decoded element by element and compared sorted, the
  general case.

Every notification must be recognised as fabricd's own (a correctness check:
the benchmark fails otherwise). Measured, no goal: a component of goal 1 of
issue 20 (fabricd's CPU per attach).
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from pygnmi.spec.v080 import gnmi_pb2

from controller.gnmi.convert import to_pb
from controller.reconcile.echo import EchoFilter
from models.diff import SetOps
from models.oc.path import Path
from models.platforms.base import port_key, vni_key
from models.platforms.openconfig import RENDERER, switched_vlan, vlan_path

PORTS = ("ethernet-1/1", "ethernet-1/2", "ethernet-1/3")
CHUNK = 10  # Sets per timed chunk, the shapes in turns


def _value(v: Any) -> gnmi_pb2.TypedValue:
    if isinstance(v, list):
        return gnmi_pb2.TypedValue(leaflist_val=gnmi_pb2.ScalarArray(element=[_value(x) for x in v]))
    if isinstance(v, int):
        return gnmi_pb2.TypedValue(uint_val=v)
    return gnmi_pb2.TypedValue(string_val=str(v))


class _Leaf:
    """One leaf's worker state as the Sets go by."""

    def __init__(self, reorder: bool) -> None:
        self.current: dict[Any, Any] = {}
        self.echo = EchoFilter(lambda: self.current)
        self.trunks: dict[str, list[int]] = {p: [] for p in PORTS}
        self.reorder = reorder
        self.seconds: list[float] = []
        self.foreign = 0

    def one_set(self, vlan: int) -> None:
        replaces: list[tuple[Path, Any]] = []
        for port in PORTS:
            self.trunks[port] = [*self.trunks[port], vlan]
            replaces.append(
                (switched_vlan(port), {"config": {"interface-mode": "TRUNK", "trunk-vlans": self.trunks[port]}})
            )
        config: dict[str, Any] = {"vlan-id": vlan, "name": f"fabricd-{vlan}", "status": "ACTIVE"}
        replaces.append((vlan_path(vlan), {"config": config}))
        ops = SetOps(replaces=tuple(replaces))
        updates = [
            gnmi_pb2.Update(
                path=to_pb(switched_vlan(p) / "config" / "trunk-vlans"),
                val=_value(self.trunks[p][::-1] if self.reorder else self.trunks[p]),
            )
            for p in PORTS
        ]
        updates += [
            gnmi_pb2.Update(path=to_pb(vlan_path(vlan) / "config" / k), val=_value(v)) for k, v in config.items()
        ]
        note = gnmi_pb2.Notification(update=updates)
        t0 = time.perf_counter()
        self.echo.sending(ops)
        self.foreign += self.echo.foreign(note, RENDERER.watches)
        self.echo.sent()
        keys = [port_key(p) for p in PORTS] + [vni_key(10_000 + vlan)]  # the VLAN object is its VNI's
        for key, (path, value) in zip(keys, replaces, strict=True):  # committed as the worker does, key by key
            self.current.setdefault(key, {})[path] = value
            self.echo.committed(key, SetOps(replaces=((path, value),)))
        self.seconds.append(time.perf_counter() - t0)


def run(*, quick: bool = False) -> dict[str, Any]:
    sets = 60 if quick else 300
    shapes = {"as sent": _Leaf(reorder=False), "reordered": _Leaf(reorder=True)}
    for start in range(0, sets, CHUNK):
        for leaf in shapes.values():
            for i in range(start, min(sets, start + CHUNK)):
                leaf.one_set(100 + i)
    rows = {
        name: {
            "sets": sets,
            "p50_us": round(statistics.median(leaf.seconds) * 1e6, 1),
            "mean_us": round(statistics.fmean(leaf.seconds) * 1e6, 1),
            "foreign": leaf.foreign,
        }
        for name, leaf in shapes.items()
    }
    ratio = rows["reordered"]["mean_us"] / rows["as sent"]["mean_us"]
    table = [
        f"{len(PORTS)} ports gain one VLAN per Set, lists up to {sets} VLANs; echo check per Set (mean, p50):",
        *(f"  {name:>10}: {r['mean_us']} us, p50 {r['p50_us']} us" for name, r in rows.items()),
        f"  reordered / as sent = {ratio:.2f} (the lists recognised by their bytes)",
    ]
    return {
        "shapes": rows,
        "ratio": round(ratio, 2),
        "table": table,
        "checks_ok": all(r["foreign"] == 0 for r in rows.values()),
    }

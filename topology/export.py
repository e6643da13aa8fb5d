"""Exports of a snapshot as text: JSON (stable: sorted keys, sorted lists,
golden-testable), a plain table for humans, Graphviz DOT.

DOT conventions: switches are boxes filled by role (leaf green, spine blue),
nodes are ellipses; every edge is labelled with its ports (``taillabel`` /
``headlabel``); stale links are dashed, one-sided fabric links dotted, edges
a conflict involves are red, edges that are not the NIC's placement grey.
Rendering DOT to an image is the CLI's job.
"""

from __future__ import annotations

import json
from typing import Any

from models.intent import Placement
from topology.conflicts import Conflict
from topology.snapshot import EdgeLink, FabricLink, TopologySnapshot

ROLE_COLOURS = {"leaf": "#a1d99b", "spine": "#9ecae1"}
NODE_COLOUR = "#fdd0a2"


def _p(p: Placement) -> dict[str, str]:
    return {"switch": p.switch, "port": p.port}


def _conflict(c: Conflict) -> dict[str, Any]:
    return {
        "kind": c.kind.value,
        "subject": c.subject,
        "reason": c.reason,
        "placements": [str(p) for p in c.placements],
        "winner": str(c.winner) if c.winner else None,
    }


def to_dict(snap: TopologySnapshot) -> dict[str, Any]:
    """The snapshot as plain JSON-able data."""
    return {
        "version": snap.version,
        "fingerprint": snap.fingerprint,
        "policy": {"mode": snap.policy.mode.value, "prefer": snap.policy.prefer.value},
        "switches": [
            {
                "name": s.name,
                "role": s.role.value,
                "platform": s.platform,
                "router_id": s.router_id,
                "vtep_address": s.vtep_address,
                "asn": s.asn,
            }
            for s in snap.switches
        ],
        "fabric_links": [
            {
                "a": _p(f.a),
                "b": _p(f.b),
                "one_sided": f.one_sided,
                "stale": f.stale,
                "last_seen": f.last_seen,
                "conflicted": f.conflicted,
            }
            for f in snap.fabric_links
        ],
        "edge_links": [
            {
                "switch": e.switch,
                "port": e.port,
                "node": e.node,
                "nic": e.nic,
                "source": e.source.value,
                "stale": e.stale,
                "last_seen": e.last_seen,
                "placed": e.placed,
                "conflicted": e.conflicted,
            }
            for e in snap.edge_links
        ],
        "placements": {
            str(ref): {**_p(p.placement), "source": p.source.value, "stale": p.stale}
            for ref, p in snap.placements.items()
        },
        "held": {str(ref): _p(p) for ref, p in snap.held},
        "conflicts": [_conflict(c) for c in snap.conflicts],
        "foreign": [
            {"switch": f.switch, "port": f.port, "system_name": f.system_name, "chassis_id": f.chassis_id}
            for f in snap.foreign
        ],
        "unresolved": [
            {
                "switch": u.switch,
                "port": u.port,
                "system_name": u.system_name,
                "port_id": u.port_id,
                "port_id_type": u.port_id_type,
                "reason": u.reason,
            }
            for u in snap.unresolved
        ],
    }


def to_json(snap: TopologySnapshot) -> str:
    return json.dumps(to_dict(snap), indent=2, sort_keys=True) + "\n"


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in [header, *rows]]


def _edge_state(e: EdgeLink) -> str:
    flags = [("placed" if e.placed else "not placed"), *(["stale"] if e.stale else [])]
    return ", ".join([*flags, *(["conflict"] if e.conflicted else [])])


def _fabric_state(f: FabricLink) -> str:
    flags = ["one-sided" if f.one_sided else "both ends", *(["stale"] if f.stale else [])]
    return ", ".join([*flags, *(["conflict"] if f.conflicted else [])])


def to_table(snap: TopologySnapshot) -> str:
    """Plain text: edge links, fabric links, conflicts, foreign and unresolved neighbours."""
    out = [f"topology version {snap.version} ({snap.fingerprint}), {snap.policy}", "", "edge links:"]
    out += _table(
        ("SWITCH", "PORT", "NODE", "NIC", "SOURCE", "STATE"),
        [(e.switch, e.port, e.node, e.nic, e.source.value, _edge_state(e)) for e in snap.edge_links],
    )
    out += ["", "fabric links:"]
    out += _table(
        ("SWITCH", "PORT", "PEER", "PEER PORT", "STATE"),
        [(f.a.switch, f.a.port, f.b.switch, f.b.port, _fabric_state(f)) for f in snap.fabric_links],
    )
    for title, lines in (
        ("conflicts", [f"{c.kind}  {c.subject}: {c.reason}" for c in snap.conflicts]),
        (
            "foreign neighbours",
            [f"{f.switch}/{f.port}: {f.system_name} ({f.chassis_id})" for f in snap.foreign],
        ),
        ("unresolved neighbours", [f"{u.switch}/{u.port}: {u.reason}" for u in snap.unresolved]),
    ):
        out += ["", f"{title}: {len(lines) or 'none'}", *(f"  {line}" for line in lines)]
    return "\n".join(out) + "\n"


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _attrs(**kv: str) -> str:
    return "[" + ", ".join(f"{k}={_q(v)}" for k, v in kv.items()) + "]"


def to_dot(snap: TopologySnapshot) -> str:
    """Graphviz DOT text (module docstring)."""
    out = [
        "graph fabric {",
        f"  // topology version {snap.version} ({snap.fingerprint})",
        '  node [style="filled"];',
    ]
    for s in snap.switches:
        colour = ROLE_COLOURS.get(s.role.value, "white")
        out.append(f"  {_q('switch:' + s.name)} {_attrs(label=s.name, shape='box', fillcolor=colour)};")
    for n in snap.nodes:
        out.append(f"  {_q('node:' + n)} {_attrs(label=n, shape='ellipse', fillcolor=NODE_COLOUR)};")
    for f in snap.fabric_links:
        attrs: dict[str, str] = {"taillabel": f.a.port, "headlabel": f.b.port}
        style = "dashed" if f.stale else "dotted" if f.one_sided else ""
        if style:
            attrs["style"] = style
        if f.conflicted:
            attrs["color"] = "red"
        out.append(f"  {_q('switch:' + f.a.switch)} -- {_q('switch:' + f.b.switch)} {_attrs(**attrs)};")
    for e in snap.edge_links:
        attrs = {"taillabel": str(e.port), "headlabel": str(e.nic), "tooltip": e.source.value}
        if e.stale:
            attrs["style"] = "dashed"
        if e.conflicted:
            attrs["color"] = "red"
        elif not e.placed:
            attrs["color"] = "grey"
        out.append(f"  {_q('switch:' + e.switch)} -- {_q('node:' + e.node)} {_attrs(**attrs)};")
    out.append("}")
    return "\n".join(out) + "\n"

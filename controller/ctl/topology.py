"""``fabricctl topology -o table|json|yaml|dot|png|svg``.

The DOT is built from the GetTopology answer with the conventions of
``topology/export.py``: spines on top, leaves below, servers at the bottom;
switches are boxes filled by role (leaf green, spine blue), servers orange
ellipses; every link is labelled with its ports; stale links are dashed;
links a conflict names (its subject is a NIC or a switch port) are red.
PNG and SVG are drawn by Graphviz's ``dot`` (Debian package ``graphviz``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from typing import Any

from controller.ctl.context import Context
from controller.ctl.errors import FAILED, OK, USAGE, CtlError
from controller.ctl.output import dump, emit, table

# the colours of topology/export.py (not imported: it would load networkx)
ROLE_COLOURS = {"leaf": "#a1d99b", "spine": "#9ecae1", "node": "#fdd0a2"}
CONFLICT_COLOUR = "red"
RANKS = ("spine", "leaf", "node")


def topology_dict(t: Any) -> dict[str, Any]:
    return {
        "version": t.version,
        "nodes": [{"name": n.name, "role": n.role, "platform": n.platform} for n in t.nodes],
        "links": [
            {
                "a": x.a,
                "a_port": x.a_port,
                "b": x.b,
                "b_port": x.b_port,
                "kind": x.kind,
                "source": x.source,
                "stale": x.stale,
            }
            for x in t.links
        ],
        "conflicts": [{"kind": c.kind, "subject": c.subject, "reason": c.reason} for c in t.conflicts],
    }


def conflicted(link: dict[str, Any], subjects: set[str]) -> bool:
    ends = {f"{link['a']}/{link['a_port']}", f"{link['b']}/{link['b_port']}"}
    return bool(ends & subjects)


def to_table(d: dict[str, Any]) -> str:
    roles = {n["name"]: n["role"] for n in d["nodes"]}
    counts = {r: sum(1 for n in d["nodes"] if n["role"] == r) for r in RANKS}
    out = [
        f"topology version {d['version']}: {counts['spine']} spine(s), {counts['leaf']} leaf(s), "
        f"{counts['node']} server(s), {len(d['links'])} link(s)",
        "",
    ]
    subjects = {c["subject"] for c in d["conflicts"]}
    rows = []
    for x in d["links"]:
        state = ", ".join([*(["stale"] if x["stale"] else []), *(["conflict"] if conflicted(x, subjects) else [])])
        rows.append(
            (x["kind"], x["a"], roles.get(x["a"], "?"), x["a_port"], x["b"], x["b_port"], x["source"], state or "ok")
        )
    header = ("KIND", "SWITCH", "ROLE", "PORT", "PEER", "PEER PORT", "SOURCE", "STATE")
    out.append(table(header, rows, empty="no links").rstrip("\n"))
    out += ["", f"conflicts: {len(d['conflicts']) or 'none'}"]
    out += [f"  {c['kind']}  {c['subject']}: {c['reason']}" for c in d["conflicts"]]
    return "\n".join(out) + "\n"


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _q(text: str) -> str:
    return '"' + _esc(text) + '"'


def _attrs(**kv: str) -> str:
    return "[" + ", ".join(f"{k}={_q(v)}" for k, v in kv.items()) + "]"


def to_dot(d: dict[str, Any]) -> str:
    subjects = {c["subject"] for c in d["conflicts"]}
    title = f"fabric topology, version {d['version']}"
    legend = "leaf: green, spine: blue, server: orange; stale links dashed, conflicts red"
    out = [
        "graph fabric {",
        f'  label=<{_html(title)}<BR/><FONT POINT-SIZE="9">{_html(legend)}</FONT>>;',
        '  labelloc="t"; fontname="Helvetica"; nodesep="1.4"; ranksep="1.8"; splines="true"; forcelabels="true";',
        '  node [style="filled", fontname="Helvetica"];',
        '  edge [fontname="Helvetica", labelfontsize="8", labeldistance="3.2", labelangle="20"];',
    ]
    for rank in RANKS:
        members = [n for n in d["nodes"] if n["role"] == rank]
        if not members:
            continue
        out.append("  { rank=same;")
        for n in members:
            shape = "ellipse" if rank == "node" else "box"
            out.append(f"    {_q(n['name'])} {_attrs(label=n['name'], shape=shape, fillcolor=ROLE_COLOURS[rank])};")
        out.append("  }")
    for n in d["nodes"]:
        if n["role"] not in RANKS:
            out.append(f"  {_q(n['name'])} {_attrs(label=n['name'], shape='box', fillcolor='white')};")
    for x in d["links"]:
        attrs = {"taillabel": x["a_port"], "headlabel": x["b_port"], "tooltip": x["source"]}
        if x["stale"]:
            attrs["style"] = "dashed"
        if conflicted(x, subjects):
            attrs["color"] = CONFLICT_COLOUR
            attrs["fontcolor"] = CONFLICT_COLOUR
        out.append(f"  {_q(x['a'])} -- {_q(x['b'])} {_attrs(**attrs)};")
    if d["conflicts"]:
        text = "".join(_esc(f"{c['kind']} {c['subject']}: {c['reason']}") + "\\l" for c in d["conflicts"])
        note = _attrs(shape="note", fillcolor="#fee0d2", color="red")[:-1]
        out.append(f'  "fabricctl:conflicts" {note}, label="conflicts:\\l{text}"];')
    out.append("}")
    return "\n".join(out) + "\n"


def render(dot_text: str, fmt: str) -> bytes:
    dot = shutil.which("dot")
    if dot is None:
        raise CtlError(f"-o {fmt} needs Graphviz's dot program: apt-get install graphviz (or use -o dot)", FAILED)
    proc = subprocess.run([dot, f"-T{fmt}"], input=dot_text.encode(), capture_output=True, timeout=60, check=False)
    if proc.returncode != 0:
        raise CtlError(f"dot -T{fmt} failed: {proc.stderr.decode(errors='replace').strip()}", FAILED)
    return proc.stdout


def run(ctx: Context) -> int:
    from proto.fabric.v1 import fabric_pb2

    fmt = ctx.output
    out_file = ctx.args.out
    if fmt in ("png", "svg") and out_file is None and sys.stdout.isatty():
        raise CtlError(f"-o {fmt} writes an image: give --out FILE or redirect stdout to a file", USAGE)
    topo = ctx.client.call(ctx.fabric.GetTopology, fabric_pb2.GetTopologyRequest())
    d = topology_dict(topo)
    if fmt in ("json", "yaml"):
        data = dump(d, fmt).encode()
    elif fmt == "dot":
        data = to_dot(d).encode()
    elif fmt in ("png", "svg"):
        data = render(to_dot(d), fmt)
    else:
        data = to_table(d).encode()
    if out_file:
        tmp = f"{out_file}.tmp"
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
            os.replace(tmp, out_file)
        except OSError as e:
            raise CtlError(f"--out {out_file}: {e.strerror}", USAGE) from None
        emit(f"wrote {out_file} ({len(data)} bytes, {fmt})\n", sys.stderr)
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return OK

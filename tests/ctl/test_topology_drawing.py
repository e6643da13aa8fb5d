"""The DOT fabricctl draws from a GetTopology answer: roles, port labels,
stale links dashed, links named by a conflict red; Graphviz accepts it."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET

from controller.ctl.topology import ROLE_COLOURS, render, to_dot, to_table, topology_dict
from proto.fabric.v1 import fabric_pb2


def answer() -> fabric_pb2.Topology:
    t = fabric_pb2.Topology(version=7)
    for name, role in (("spine1", "spine"), ("sw1", "leaf"), ("sw2", "leaf"), ("server1", "node")):
        t.nodes.add(name=name, role=role, platform="openconfig" if role != "node" else "linux")
    t.links.add(a="spine1", a_port="ethernet-1/1", b="sw1", b_port="ethernet-1/49", kind="fabric", source="lldp")
    t.links.add(
        a="spine1", a_port="ethernet-1/2", b="sw2", b_port="ethernet-1/49", kind="fabric", source="lldp", stale=True
    )
    t.links.add(a="sw1", a_port="ethernet-1/1", b="server1", b_port="eth1", kind="edge", source="static")
    t.links.add(a="sw2", a_port="ethernet-1/1", b="server1", b_port="eth1", kind="edge", source="lldp")
    t.conflicts.add(
        kind="static-lldp-mismatch",
        subject="server1/eth1",
        reason='static says sw1/ethernet-1/1, LLDP says sw2/ethernet-1/1; static "wins"',
    )
    return t


def lines_with(dot: str, *needles: str) -> list[str]:
    return [line for line in dot.splitlines() if all(n in line for n in needles)]


def test_dot_conventions():
    dot = to_dot(topology_dict(answer()))
    assert "label=<fabric topology, version 7<BR/>" in dot
    [spine] = lines_with(dot, '    "spine1" [')
    assert f'fillcolor="{ROLE_COLOURS["spine"]}"' in spine and 'shape="box"' in spine
    [server] = lines_with(dot, '    "server1" [')
    assert 'shape="ellipse"' in server and ROLE_COLOURS["node"] in server
    [up1] = lines_with(dot, '"spine1" -- "sw1"')
    assert 'taillabel="ethernet-1/1", headlabel="ethernet-1/49"' in up1
    assert "dashed" not in up1 and "red" not in up1
    [up2] = lines_with(dot, '"spine1" -- "sw2"')
    assert 'style="dashed"' in up2 and "red" not in up2
    edges = lines_with(dot, '-- "server1"')
    assert len(edges) == 2 and all('color="red"' in e for e in edges)
    assert lines_with(dot, "conflicts:", "static-lldp-mismatch server1/eth1")
    assert '\\"wins\\"' in dot  # quotes in a reason stay inside the label
    # the ranks: spines, then leaves, then servers
    order = dot.splitlines()
    assert order.index(spine) < order.index(lines_with(dot, '    "sw1" [')[0]) < order.index(server)


def test_graphviz_accepts_it_and_draws_the_conflict_red():
    dot = to_dot(topology_dict(answer()))
    check = subprocess.run(["dot", "-Tcanon"], input=dot.encode(), capture_output=True, timeout=60, check=False)
    assert check.returncode == 0, check.stderr
    svg = ET.fromstring(render(dot, "svg"))
    ns = "{http://www.w3.org/2000/svg}"
    edges = {g.find(f"{ns}title").text: g for g in svg.iter(f"{ns}g") if g.get("class") == "edge"}
    assert set(edges) == {"spine1--sw1", "spine1--sw2", "sw1--server1", "sw2--server1"}
    red = [t for t, g in edges.items() if any(p.get("stroke") == "red" for p in g.iter(f"{ns}path"))]
    dashed = [t for t, g in edges.items() if any(p.get("stroke-dasharray") for p in g.iter(f"{ns}path"))]
    assert sorted(red) == ["sw1--server1", "sw2--server1"]
    assert dashed == ["spine1--sw2"]


def test_table_flags_stale_and_conflict():
    text = to_table(topology_dict(answer()))
    assert text.startswith("topology version 7: 1 spine(s), 2 leaf(s), 1 server(s), 4 link(s)")
    [stale] = [line for line in text.splitlines() if line.startswith("fabric") and "sw2" in line]
    assert stale.endswith("stale")
    assert sum(1 for line in text.splitlines() if line.startswith("edge") and line.endswith("conflict")) == 2
    assert "conflicts: 1\n  static-lldp-mismatch  server1/eth1: static says" in text

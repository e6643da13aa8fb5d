"""What each node of a running lab really is, for ``fabric-lab status``: a
lab file names containerlab kinds and images (what containerlab would run),
but ``fabric-lab`` runs every switch as the gNMI switch emulator with its
platform's profile, and every node, on the Linux dataplane, as a network
namespace with real daemons."""

from __future__ import annotations

from labs.files.lab import Lab, LabNode

#: what containerlab would run for a node of this kind
_CONTAINERLAB = {"nokia_srlinux": "Nokia SR Linux", "linux": "a Linux container"}


def containerlab(node: LabNode) -> str:
    what = _CONTAINERLAB.get(node.kind, node.kind)
    parts = [f"kind {node.kind}", *([f"type {node.type}"] if node.type else []), node.image or "no image given"]
    if node.kind == "linux" and node.is_switch:
        what += ", no switch there"
    return f"containerlab: {what} ({', '.join(parts)})"


def describe(lab: Lab, node: str, *, dataplane: str) -> str:
    n = lab.nodes[node]
    here = "Linux dataplane" if dataplane == "linux" else "in memory"
    if n.is_switch:
        daemons = ", its network namespace with FRR and lldpd" if dataplane == "linux" else ""
        return f"here: the switch emulator, profile {n.platform} ({here}{daemons}); {containerlab(n)}"
    if dataplane == "linux":
        return f"here: a network namespace with lldpd; {containerlab(n)}"
    return f"here: no node (in-memory lab); {containerlab(n)}"

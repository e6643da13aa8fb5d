"""Golden SR Linux leaves: for each case of tests/golden/srlinux, the
attachments (then the detaches) are applied one by one to a leaf that starts
from its day-0 configuration (``<switch>.day0.json``, or ports and the
``vxlan1`` tunnel-interface), pass by pass as the reconciler does it. The
golden files are each leaf's whole configuration at the end (and before the
detaches, ``<switch>.attached.json``), the Sets that got it there
(``<switch>.sets.txt``) and the conflicts (``conflicts.txt``). Every
configuration validates against Nokia's 25.3.1 models with libyang
(:mod:`tests.models.srl_yang`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from models.diff import SetOps
from models.fabric_state import FabricState
from models.ids import SwitchName
from models.intent import Placement
from models.oc.tree import Tree, leaves
from models.platforms.base import vni_of_name
from models.platforms.srlinux_objects import TUNNEL, is_ours
from tests.golden_util import GOLDEN, check_json, check_text
from tests.models import srl_yang
from tests.models.device_sim import Device
from tests.models.intent_file import IntentFile, load

CASES_DIR = GOLDEN / "srlinux"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "case.yaml").exists())


def day0(f: IntentFile, switch: str, case: Path) -> Any:
    own = case / f"{switch}.day0.json"
    if own.exists():
        return json.loads(own.read_text())
    ports = sorted({port for sw, port in f.resolver.ports.values() if sw == switch})
    return {
        "srl_nokia-interfaces:interface": [{"name": p, "admin-state": "enable"} for p in ports],
        "srl_nokia-tunnel-interfaces:tunnel-interface": [{"name": TUNNEL}],
    }


def show(ops: SetOps) -> list[str]:
    out = [f"delete  {p}" for p in ops.deletes]
    out += [f"replace {p} = {json.dumps(v, sort_keys=True)}" for p, v in ops.replaces]
    return out or ["(nothing)"]


class Run:
    """One case, run: the leaves, their day-0 and every step's Sets."""

    def __init__(self, case: str) -> None:
        self.dir = CASES_DIR / case
        self.intent = load(self.dir / "case.yaml")
        extra = yaml.safe_load((self.dir / "case.yaml").read_text())
        self.state = FabricState(self.intent.settings)
        for net in self.intent.networks:
            self.state.create_network(net)
        self.start = {leaf.name: day0(self.intent, leaf.name, self.dir) for leaf in self.intent.leaves}
        self.devices = {leaf.name: Device(leaf, self.start[leaf.name]) for leaf in self.intent.leaves}
        self.sets: dict[SwitchName, list[str]] = {name: [] for name in self.devices}
        for name, device in self.devices.items():
            self.step(name, "connect (a full pass)", device.sync(self.state))
        for att in self.intent.attachments:
            switch, port = self.intent.resolver.leaf_port(att.node, att.nic)
            self.apply(
                f"attach {att.id.pod_namespace}/{att.id.pod_name} to {att.id.network}", att, Placement(switch, port)
            )
        self.attached = {name: d.config() for name, d in self.devices.items()}
        self.detached = bool(extra.get("detach"))
        by_pod = {a.id.pod_name: a for a in self.intent.attachments}
        for pod in extra.get("detach") or ():
            att = by_pod[pod]
            self.apply(f"detach {att.id.pod_namespace}/{pod} from {att.id.network}", att, None)
        self.final = {name: d.config() for name, d in self.devices.items()}

    def step(self, switch: SwitchName, title: str, ops: SetOps) -> None:
        self.sets[switch] += [f"## {title}", *show(ops)]

    def apply(self, title: str, att: Any, placement: Placement | None) -> None:
        dirty = (self.state.attach(att, placement) if placement else self.state.detach(att.id)).dirty
        for switch, keys in sorted(dirty.items()):
            self.step(switch, title, self.devices[switch].sync(self.state, keys))
            # the incremental pass left nothing for a full one to do
            assert not self.devices[switch].sync(self.state), f"{title}: a full pass after it still had work"

    def conflicts(self) -> str:
        lines = [
            f"{name} {key.port} vni {key.vni}: {why}"
            for name, d in self.devices.items()
            for key, why in sorted(d.conflicts.items())
        ]
        return "\n".join(lines) + "\n" if lines else ""


@pytest.fixture(scope="module")
def runs() -> dict[str, Run]:
    return {case: Run(case) for case in CASES}


@pytest.mark.parametrize("case", CASES)
def test_srlinux_leaves_match_golden(case, runs):
    run = runs[case]
    for switch in run.devices:
        check_json(run.dir / f"{switch}.json", run.final[switch])
        if run.detached:
            check_json(run.dir / f"{switch}.attached.json", run.attached[switch])
        check_text(run.dir / f"{switch}.sets.txt", "\n".join(run.sets[switch]) + "\n")
    conflicts = run.conflicts()
    if conflicts or (run.dir / "conflicts.txt").exists():
        check_text(run.dir / "conflicts.txt", conflicts)


def test_golden_documents_validate_against_nokias_models():
    docs = sorted(p for case in CASES for p in (CASES_DIR / case).glob("*.json"))
    assert docs, "no SR Linux golden documents"
    verdict = srl_yang.validate(*docs)
    assert verdict.ok, verdict.errors


def canonical_json(config: Any) -> str:
    return json.dumps(Tree.from_json(config).to_json(), sort_keys=True)


def owned_leaves(config: Any) -> list[str]:
    """What fabricd owns in a configuration: its mac-vrfs, the vxlan-interfaces
    they list, its subinterfaces (``description fabricd``)."""
    tree = Tree.from_json(config)
    found: list[str] = []
    listed = set()
    for ni in (tree.root.get("network-instance") or {}).values():
        if vni_of_name(ni.get("name")) is not None:
            found.append(f"network-instance {ni['name']}")
            listed |= {v["name"] for v in (ni.get("vxlan-interface") or {}).values()}
    for tunnel in (tree.root.get("tunnel-interface") or {}).values():
        for vx in (tunnel.get("vxlan-interface") or {}).values():
            if f"{tunnel['name']}.{vx['index']}" in listed:
                found.append(f"vxlan-interface {tunnel['name']}.{vx['index']}")
    for iface in (tree.root.get("interface") or {}).values():
        for sub in (iface.get("subinterface") or {}).values():
            if is_ours(sub):
                found.append(f"subinterface {iface['name']}.{sub['index']}")
    return found


def test_removal_is_the_exact_inverse():
    run = Run("removal")
    for switch, final in run.final.items():
        assert owned_leaves(run.attached[switch]), "the case attaches something"
        assert canonical_json(final) == canonical_json(run.start[switch]), "not back to day-0"
        assert not owned_leaves(final)


def test_foreign_objects_are_untouched():
    run = Run("foreign")
    for switch, start in run.start.items():
        before = dict(leaves(Tree.from_json(start).root))
        for doc in (run.attached[switch], run.final[switch]):
            after = dict(leaves(Tree.from_json(doc).root))
            changed = {str(p): (v, after.get(p)) for p, v in before.items() if after.get(p) != v}
            assert not changed, f"fabricd changed objects that are not its own: {changed}"
    assert run.conflicts(), "the case has colliding subinterfaces"

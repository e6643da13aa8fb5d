"""Ready means forwarding, on the Linux dataplane's real FRR: a leaf whose
BGP sessions are shut keeps its VNI committed but learns no EVPN route, so
an attach at readiness ``forwarding`` waits and fails naming the missing
peer, the audit names that VNI and leaf, ``committed`` still answers READY;
once BGP is back it converges by itself and the pods ping."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from labs.dataplane import frr
from labs.errors import LabRunError
from labs.pods import runtime, scenario
from labs.pods.scenario import PodNet, ScenarioPod
from labs.run import fabricd_proc, runner
from tests.e2e import helpers as h
from tests.labs.conftest import LABS

pytestmark = pytest.mark.e2e

NETS = (("fwd", 4444, "forwarding"), ("cmt", 5555, "committed"))


def ctl(state, *args: str) -> subprocess.CompletedProcess[str]:
    return fabricd_proc.fabricctl(state, *args)


def audit(state) -> list[tuple[str, str, int, str]]:
    r = ctl(state, "-o", "json", "audit")
    assert r.returncode in (0, 1), r.stderr
    return sorted((f["kind"], f["switch"], f["vni"], f["peer"]) for f in json.loads(r.stdout)["findings"])


def pod(sdir: Path, name: str, node: str, net: str, ip: str, uplink: str = "") -> runtime.PodRecord:
    p = ScenarioPod(name=name, node=node, nets=(PodNet(network=net, address=ip, uplink=uplink),))
    f = sdir / f"{name}.yml"
    f.write_text(yaml.safe_dump(p.manifest(), sort_keys=False))
    return runtime.create(sdir, f)


def bgp(state, switch: str, *, up: bool) -> None:
    """Shut (or open again) every BGP session of ``switch`` in its FRR."""
    node = state.node(switch)
    assert node is not None and node.frr_dir is not None
    assert frr.shut_sessions(node.frr_dir, shut=not up)


def state_of(state, pod_name: str) -> tuple[str, str]:
    atts = {a["pod_name"]: a for a in h.attachments(state)}
    return atts[pod_name]["state"], atts[pod_name]["reason"]


@pytest.mark.parametrize("lab", ["seed", "seed-srl"])
def test_forwarding_readiness_under_a_shut_bgp_session(e2e_root, lab):
    sdir = e2e_root / f"ready-{lab}"
    state = runner.up(LABS / f"{lab}.clab.yml", state_dir=sdir, dataplane="linux")
    try:
        fabricd_proc.start(state, metrics="127.0.0.1:0")
        nads = sdir / runtime.NADS_DIR
        nads.mkdir(exist_ok=True)
        for name, vni, level in NETS:
            r = ctl(state, "network", "create", name, "--vni", str(vni), "--readiness", level)
            assert r.returncode == 0, r.stderr
            doc = json.loads(scenario.fabricctl(state, "-o", "json", "nad", name))
            doc["metadata"]["name"] = f"{name}-network"
            (nads / f"{name}-network.yml").write_text(yaml.safe_dump(doc, sort_keys=False))
        pod(sdir, "p1", "server1", "fwd", "10.44.0.1/24")  # eth1: sw1
        pod(sdir, "p2", "server2", "fwd", "10.44.0.2/24", uplink="eth2")  # sw2
        assert state_of(state, "p1")[0] == "ready"
        h.wait_for("a clean audit", lambda: audit(state) == [])

        bgp(state, "sw1", up=False)
        # the audit names exactly that VNI, between sw1 and sw2
        want = [("not-forwarding", "sw1", 4444, "sw2"), ("not-forwarding", "sw2", 4444, "sw1")]
        h.wait_for("not-forwarding in the audit", lambda: audit(state) == want, deadline=60)
        st, why = state_of(state, "p1")
        assert st == "pending" and "sw1 has VNI 4444 committed but no EVPN route from 10.0.0.12 (sw2)" in why
        # forwarding: a new attach on sw1 waits, then fails naming the missing peer
        with pytest.raises(LabRunError) as err:
            pod(sdir, "p3", "server3", "fwd", "10.44.0.3/24")
        assert "sw1 has VNI 4444 committed but no EVPN route from 10.0.0.12 (sw2)" in str(err.value)
        # committed: the same attach answers READY; the audit shows the finding
        pod(sdir, "p4", "server3", "cmt", "10.55.0.4/24")
        pod(sdir, "p5", "server2", "cmt", "10.55.0.5/24", uplink="eth2")
        assert state_of(state, "p4")[0] == "ready"
        h.wait_for(
            "the committed network's finding",
            lambda: ("not-forwarding", "sw1", 5555, "sw2") in audit(state),
            deadline=60,
        )

        bgp(state, "sw1", up=True)
        h.wait_for("converged by itself: a clean audit", lambda: audit(state) == [], deadline=90)
        assert state_of(state, "p1")[0] == "ready"  # what Check answers (the same view)
        p = runtime.find(sdir, "default/p1")
        assert h.in_node(state, "server1", "true").returncode == 0
        r = subprocess.run(
            ["ip", "netns", "exec", p.netns, "ping", "-c", "2", "-W", "2", "10.44.0.2"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert r.returncode == 0, r.stdout + r.stderr
        assert ctl(state, "audit").returncode == 0
    finally:
        for name in ("p5", "p4", "p3", "p2", "p1"):
            if (rec := _record(sdir, name)) is not None:
                runtime.delete(sdir, f"default/{rec}")
        fabricd_proc.stop(state)
        runner.down(lab, state_dir=sdir)


def _record(sdir: Path, name: str) -> str | None:
    return name if name in {r.name for r in runtime.records(sdir)} else None

"""The seed scenario on the SR Linux seed lab (`make demo LAB=seed-srl`),
through scripts/seed-scenario.py: the switches are the emulator's srlinux
profile on the Linux dataplane, fabricd configures them in their native
YANG; the ping matrix across sw1/sw2, VXLAN VNI 1111 on the spine,
`fabricctl switch list` naming each switch's platform, and nothing of
fabricd's left on the leaves after the pods, read back over gNMI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from labs.run import runner
from tests.e2e import helpers as h

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = str(ROOT / "scripts" / "seed-scenario.py")


def script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, SCRIPT, *args, "--lab", "seed-srl"],
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ),
        check=False,
    )


def status(state) -> str:
    exe = str(Path(sys.executable).parent / "fabric-lab")
    return subprocess.run(
        [exe, "status", "seed-srl", "--state-dir", state.state_dir], capture_output=True, text=True, check=True
    ).stdout


def test_the_seed_scenario_on_sr_linux(e2e_root):
    sdir = e2e_root / "seed-srl"
    up = script("up", "--state-dir", str(sdir), "--metrics", "127.0.0.1:0")
    state = runner.status("seed-srl", state_dir=sdir)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        assert "spine1 sees pod-a -> pod-b (blue) inside VXLAN VNI 1111: yes" in up.stdout
        assert "NOT AS EXPECTED" not in up.stdout
        matrix = up.stdout[up.stdout.index("ping matrix") :].split("\n\n")[0]
        cells = "\n".join(matrix.splitlines()[2:]).split()
        assert (cells.count("ok"), cells.count("--")) == (6, 20), matrix
        # fabricctl switch list names each switch's platform
        table = up.stdout[up.stdout.index("NAME ") :].split("\n\n")[0].splitlines()
        assert table[0].split()[:3] == ["NAME", "ROLE", "PLATFORM"]
        assert {r.split()[0]: r.split()[2] for r in table[1:]} == {n: "srlinux" for n in ("spine1", "sw1", "sw2")}
        assert state is not None
        # fabric-lab status says what each node is, here and under containerlab
        said = status(state)
        assert "sw1\there: the switch emulator, profile srlinux" in said
        assert "containerlab: Nokia SR Linux (kind nokia_srlinux, type ixr-d2l, ghcr.io/nokia/srlinux:25.3.1)" in said

        # fabricd's objects on sw1, in SR Linux's native YANG, read with pygnmi
        with h.client(state, "sw1") as gc:
            got = gc.get(path=["/network-instance[name=fabricd-vni-1111]"], datatype="config", encoding="json_ietf")
        (macvrf,) = [u["val"] for n in got["notification"] for u in n["update"]]
        assert macvrf["type"] == "srl_nokia-network-instance:mac-vrf"
        assert [v["name"] for v in macvrf["vxlan-interface"]] == ["vxlan1.1111"]
        assert json.dumps(macvrf).count("target:65000:1111") == 2
    finally:
        down = script("down", "--state-dir", str(sdir))
    assert down.returncode == 0, down.stdout + down.stderr
    assert "no VNI and no switched port left on the leaves (read back over gNMI)" in down.stdout
    assert state is not None and h.leftovers(state) == []

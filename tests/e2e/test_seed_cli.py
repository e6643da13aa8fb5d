"""The seed lab through the installed `fabric-lab` command, as a user runs
it: up (converged underlay), idempotent up, status, exec, LLDP with a gNMI
Subscribe ONCE, a VNI wiped by an emulated reboot, down."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from labs.run.statefile import read_state
from tests.e2e import helpers as h
from tests.labs.conftest import LABS
from tests.labs.emulator import ocdocs

pytestmark = pytest.mark.e2e

EXE = str(Path(sys.executable).parent / "fabric-lab")
SEED = str(LABS / "seed.clab.yml")


def fabric_lab(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXE, *argv], capture_output=True, text=True, timeout=300, check=False, env=dict(os.environ))


def once(state, switch: str) -> set[tuple[str, str]]:
    req = {"subscription": [{"path": h.LLDP, "mode": "on_change"}], "mode": "once", "encoding": "json_ietf"}
    got = set()
    with h.client(state, switch) as gc:
        sub = gc.subscribe2(subscribe=req)
        try:
            for msg in sub:  # ends after sync_response
                for u in msg.get("update", {}).get("update", []):
                    if u["path"].endswith("/state/system-name"):
                        got.add(u["val"])
        finally:
            sub.close()  # the target ended the ONCE stream: the thread ends cleanly
    return got


def test_seed_through_the_cli(e2e_root):
    sdir = str(e2e_root / "seed")
    t0 = time.monotonic()
    up = fabric_lab("up", SEED, "--state-dir", sdir)
    took = time.monotonic() - t0
    assert up.returncode == 0, up.stderr
    assert "underlay converged" in up.stderr and "4 BGP sessions Established, 10 LLDP neighbours" in up.stderr
    print(f"\nfabric-lab up {SEED}: {took:.1f} s to a converged underlay")
    state = read_state(Path(sdir))
    assert state is not None
    try:
        again = fabric_lab("up", SEED, "--state-dir", sdir)
        assert again.returncode == 0 and "already running" in again.stderr
        status = fabric_lab("status", "seed", "--state-dir", sdir)
        assert status.returncode == 0, status.stderr
        assert f"{state.prefix}seed-sw1" in status.stdout and "zebra" in status.stdout and "DEAD" not in status.stdout
        assert fabric_lab("exec", "seed", "--state-dir", sdir, "sw1", "--", "hostname").stdout.strip() == "sw1"
        lo = fabric_lab("exec", "seed", "--state-dir", sdir, "sw2", "--", "ip", "-br", "addr", "show", "lo")
        assert "10.0.0.12/32" in lo.stdout

        expect = {"spine1": {"sw1", "sw2"}, "sw1": {"server1", "server2", "server3", "spine1"}}
        for sw, names in expect.items():
            h.wait_for(f"LLDP of {sw} by Subscribe ONCE", lambda sw=sw, names=names: once(state, sw) == names)

        # the LLDP faults act on lldpd's neighbours
        before = h.lldp_over_gnmi(state, "sw1")
        assert fabric_lab("fault", "--state-dir", sdir, "seed", "sw1", "lldp-remove", "e1-1").returncode == 0
        assert {n for _, n, _ in h.lldp_over_gnmi(state, "sw1")} == {"server2", "server3", "spine1"}
        assert fabric_lab("fault", "--state-dir", sdir, "seed", "sw1", "lldp-add", "ethernet-1/1").returncode == 0
        assert h.lldp_over_gnmi(state, "sw1") == before

        # config pushed, then an emulated reboot: day-0 again, and so is Linux
        with h.client(state, "sw1") as gc:
            gc.set(replace=ocdocs.leaf_document(1111, 10, "ethernet-1/1"), encoding="json_ietf")
        # the dataplane follows the commit (after the SetResponse, as a switch's does)
        h.wait_for("sw1's overlay in Linux", lambda: {"br1111", "vx1111", "e1-1v10"} <= set(h.links(state, "sw1")))
        h.wait_for("VNI 1111 in sw1's FRR", lambda: "vni 1111" in h.vtysh(state, "sw1", "show running-config"))
        fault = fabric_lab("fault", "--state-dir", sdir, "seed", "sw1", "reboot", "--down", "0.2")
        assert fault.returncode == 0, fault.stderr
        h.wait_for("sw1's overlay gone after the reboot", lambda: "br1111" not in h.links(state, "sw1"))
        assert not {"vx1111", "e1-1v10"} & set(h.links(state, "sw1"))
        assert "vni 1111" not in h.vtysh(state, "sw1", "show running-config")
        h.wait_for("LLDP of sw1 after the reboot", lambda: len(h.lldp_over_gnmi(state, "sw1")) == 4)
    finally:
        down = fabric_lab("down", "seed", "--state-dir", sdir)
    assert down.returncode == 0, down.stderr
    assert h.leftovers(state) == []
    assert fabric_lab("status", "seed", "--state-dir", sdir).returncode == 3

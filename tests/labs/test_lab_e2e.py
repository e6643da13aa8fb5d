"""The real thing in memory: ``fabric-lab up --dataplane none`` with the emulator host of labs/emulator,
read over gNMI with the plain pygnmi client as a user would, faults through
``fabric-lab fault``, then ``down``."""

from __future__ import annotations

import json

import pytest

from labs.cli import main
from labs.run import procs, runner
from tests.labs.conftest import LABS

LLDP = "/lldp/interfaces/interface/neighbors/neighbor/state"


def client(state, name):
    from pygnmi.client import gNMIclient

    sw = next(s for s in state.switches if s.name == name)
    host, port = sw.address.rsplit(":", 1)
    with open(state.password_file) as fh:
        password = fh.read()
    return gNMIclient(
        target=(host, int(port)),
        username=state.username,
        password=password,
        path_root=state.ca_file,
        override=name,
        timeout=30,
    )


def lldp_neighbours(state, name):
    """{(local port, system name, port id)} read over gNMI."""
    with client(state, name) as gc:
        reply = gc.get(path=[LLDP], encoding="json_ietf")
    found = set()
    for notification in reply.get("notification", []):
        prefix = notification.get("prefix") or ""
        for update in notification.get("update", []):
            found |= _walk(update["path"], update["val"], prefix)
    return found


def _walk(path, val, prefix):
    """Accept the neighbour state as leaves or as subtrees."""
    text = json.dumps(val)
    out = set()
    if isinstance(val, dict) and "system-name" in text:
        stack = [(path, val)]
        while stack:
            p, v = stack.pop()
            if isinstance(v, dict):
                state = v.get("state", v)
                if "system-name" in state and "port-id" in state:
                    out.add((p, state["system-name"], state["port-id"]))
                stack.extend((f"{p}/{k}", c) for k, c in v.items())
            elif isinstance(v, list):
                stack.extend((p, c) for c in v)
    return out


@pytest.fixture
def lab(tmp_path, monkeypatch):
    monkeypatch.delenv(runner.ENV_HOST_CMD, raising=False)
    sdir = tmp_path / "seed"
    state = runner.up(LABS / "seed.clab.yml", state_dir=sdir, timeout=180, dataplane="none")
    yield state
    runner.down("seed", state_dir=sdir)
    assert not sdir.exists()
    assert not any(procs.alive(p) for p in state.processes)


def test_lldp_over_gnmi_matches_the_sidecar(lab):
    from labs.files.topofile import load_lab

    expect = load_lab(LABS / "seed.clab.yml").sidecar.expect.lldp
    with client(lab, "sw1") as gc:
        caps = gc.capabilities()
    assert "json_ietf" in json.dumps(caps).lower()
    for name in ("sw1", "sw2", "spine1"):
        got = {(system, port) for _, system, port in lldp_neighbours(lab, name)}
        want = {(e.neighbor, e.neighbor_port) for e in expect if e.switch == name}
        assert got == want, name


def test_day0_over_gnmi(lab):
    with client(lab, "sw2") as gc:
        reply = gc.get(
            path=[
                "/network-instances/network-instance[name=default]/protocols/protocol[identifier=BGP][name=BGP]/bgp/global/config"
            ],
            encoding="json_ietf",
        )
    assert "65002" in json.dumps(reply) and "10.0.0.12" in json.dumps(reply)


def test_fault_through_the_cli(lab, capsys):
    sdir = lab.state_dir
    assert (
        main(
            [
                "fault",
                "--state-dir",
                sdir,
                "seed",
                "sw1",
                "fail",
                "--methods",
                "Get",
                "--count",
                "1",
                "--message",
                "lab fault 42",
            ]
        )
        == 0
    )
    with client(lab, "sw1") as gc:
        with pytest.raises(Exception, match="lab fault 42"):  # pygnmi raises a bare Exception
            gc.get(path=["/interfaces"], encoding="json_ietf")
        assert gc.get(path=["/interfaces"], encoding="json_ietf")
    assert main(["fault", "--state-dir", sdir, "seed", "sw1", "counters"]) == 0
    counters = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert counters
    assert main(["fault", "--state-dir", sdir, "seed", "sw1", "lldp-remove", "e1-1"]) == 0
    assert ("server1", "eth1") not in {(s, p) for _, s, p in lldp_neighbours(lab, "sw1")}
    assert main(["fault", "--state-dir", sdir, "seed", "sw1", "lldp-add", "ethernet-1/1"]) == 0
    assert ("server1", "eth1") in {(s, p) for _, s, p in lldp_neighbours(lab, "sw1")}

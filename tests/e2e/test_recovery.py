"""A half-finished `up` and a lost state file: `down` and the next `up`
remove exactly what the earlier run left (seed lab, Linux dataplane)."""

from __future__ import annotations

from pathlib import Path

import pytest

from labs.dataplane import netns
from labs.errors import LabRunError
from labs.run import procs, runner
from labs.run.statefile import read_state
from tests.e2e import helpers as h
from tests.labs.conftest import LABS

pytestmark = pytest.mark.e2e

SEED = LABS / "seed.clab.yml"


def test_a_half_finished_up_is_removed_by_down(e2e_root, monkeypatch):
    sdir = e2e_root / "half"
    monkeypatch.setenv(runner.ENV_HOST_CMD, "false")  # the emulator host dies before READY
    with pytest.raises(LabRunError, match="the emulator host exited with code 1 before it was ready"):
        runner.up(SEED, state_dir=sdir, timeout=30)
    state = read_state(sdir)
    assert state is not None and state.phase == "failed"
    assert all(netns.exists(n.netns) for n in state.nodes)  # kept for a look ...
    assert not any(procs.alive(p) for p in state.processes)  # ... but nothing runs
    assert runner.status("seed", state_dir=sdir) is None
    runner.down("seed", state_dir=sdir)
    assert h.leftovers(state) == []


def test_a_lost_state_file_does_not_stop_the_next_up(e2e_root):
    sdir = e2e_root / "lost"
    first = runner.up(SEED, state_dir=sdir, timeout=60, converge=False)
    daemons = [p for p in first.processes if p.role != runner.HOST_ROLE]
    (Path(sdir) / "state.json").write_text("{not json")
    second = runner.up(SEED, state_dir=sdir, timeout=60)
    try:
        assert not any(procs.alive(p) for p in first.processes)  # the namespaces' sweep stopped them
        assert [n.netns for n in second.nodes] == [n.netns for n in first.nodes]
        assert all(procs.alive(p) for p in second.processes)
        assert {p.pid for p in daemons}.isdisjoint({p.pid for p in second.processes})
    finally:
        runner.down("seed", state_dir=sdir)
    assert h.leftovers(second) == [] and h.leftovers(first) == []

"""The tagger as a process: start and stop in a namespace, SIGTERM, SIGKILL,
a second tagger on a live socket, a trunk that disappears, stale leftovers
of a crashed run (root; CI runs these)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from labs.dataplane import testbed
from labs.dataplane.tagger import start_tagger, stop_tagger
from labs.errors import LabRunError
from labs.run import procs
from tests.vlan.conftest import links

pytestmark = pytest.mark.e2e


def wait_exit(pid: int, timeout: float = 20.0) -> int:
    deadline = time.monotonic() + timeout
    while (code := procs.reap(pid)) is None:
        assert time.monotonic() < deadline, f"pid {pid} still runs"
        time.sleep(0.05)
    return code


def test_start_returns_the_taggers_own_pid(pair):
    t = pair.tagger_a
    assert Path(t.pid_file).read_text().strip() == str(t.pid)  # `ip netns exec` did not fork
    assert t.record.role == "vlan-tagger" and procs.alive(t.record)
    assert t.record.cmdline[:4] == ("ip", "netns", "exec", pair.a) and "--socket" in t.record.cmdline
    pong = t.client().ping()
    assert pong["pid"] == t.pid and pong["netns"] == os.stat(f"/run/netns/{pair.a}").st_ino
    assert oct(os.stat(t.socket).st_mode & 0o777) == "0o600"


def test_sigterm_removes_taps_socket_and_pid_file(pair):
    t = pair.tagger_a
    t.client().ensure("trunk-a", 10)
    t.client().ensure("trunk-a", 20)
    assert {"trunk-av10", "trunk-av20"} <= links(pair.a)
    os.kill(t.pid, signal.SIGTERM)
    assert wait_exit(t.pid) == 0
    assert links(pair.a) == {"lo", "trunk-a"}
    assert not Path(t.socket).exists() and not Path(t.pid_file).exists()
    assert "stopped" in Path(t.log_file).read_text()
    assert stop_tagger(t) is False  # nothing of ours runs any more


def test_a_killed_tagger_leaves_nothing_that_breaks_the_next_one(pair):
    t = pair.tagger_b
    t.client().ensure("trunk-b", 10)
    os.kill(t.pid, signal.SIGKILL)
    assert wait_exit(t.pid) == -signal.SIGKILL
    assert links(pair.b) == {"lo", "trunk-b"}  # the kernel removed the taps with their fds
    assert Path(t.socket).is_socket()  # left behind, stale
    again = start_tagger(netns=pair.b, socket=t.socket)
    try:
        assert again.client().ensure("trunk-b", 10) == "trunk-bv10"
        assert Path(again.pid_file).read_text().strip() == str(again.pid)
    finally:
        assert stop_tagger(again)
    assert not Path(t.socket).exists()


def test_a_second_tagger_on_a_live_socket_is_refused(pair):
    with pytest.raises(LabRunError) as e:
        start_tagger(netns=pair.a, socket=pair.tagger_a.socket, pid_file=pair.workdir / "second.pid",
                     log_file=pair.workdir / "second.log")  # fmt: skip
    assert f"exited with code 1 before it answered on {pair.tagger_a.socket}" in str(e.value)
    assert "another process serves it" in str(e.value)
    assert pair.tagger_a.client().ping()["pid"] == pair.tagger_a.pid


def test_a_tagger_that_cannot_start_says_why_and_leaves_nothing(tmp_path):
    sock = tmp_path / "missing-dir" / "t.sock"
    with pytest.raises(LabRunError, match=r"(?s)exited with code 1 .*cannot bind: No such file or directory"):
        start_tagger(netns=None, socket=sock, log_file=tmp_path / "t.log", pid_file=tmp_path / "t.pid")
    assert procs.find_with_argument(str(sock)) == []
    long = tmp_path / ("x" * 120)
    with pytest.raises(LabRunError, match=r"longer than 107 bytes"):
        start_tagger(netns=None, socket=long, log_file=tmp_path / "l.log", pid_file=tmp_path / "l.pid")


def test_a_trunk_that_disappears_takes_its_taps_not_the_tagger(pair):
    client = pair.tagger_a.client()
    client.ensure("trunk-a", 10)
    testbed.ip("link", "del", "trunk-a", netns=pair.a)
    deadline = time.monotonic() + 20
    while client.list():
        assert time.monotonic() < deadline, client.list()
        time.sleep(0.05)
    assert links(pair.a) == {"lo"}
    assert client.ping()["pid"] == pair.tagger_a.pid


def test_a_trunk_deleted_while_down_takes_its_taps_too(pair):
    """The trunk's socket reports the link going down once; its removal
    after that reports nothing. `ip link del` races the tagger the same way
    (down first, then gone): the tagger looks again until the link is back
    up or gone. Back up, the tap stays."""
    client = pair.tagger_a.client()
    client.ensure("trunk-a", 10)

    def errors() -> int:
        return client.stats()["trunk-a"]["errors"]

    def until(what: str, ok) -> None:
        deadline = time.monotonic() + 20
        while not ok():
            assert time.monotonic() < deadline, f"{what}: {client.stats()}"
            time.sleep(0.05)

    testbed.ip("link", "set", "trunk-a", "down", netns=pair.a)
    until("the tagger saw the link go down", lambda: errors() >= 1)
    testbed.ip("link", "set", "trunk-a", "up", netns=pair.a)
    time.sleep(1.0)  # several rechecks: an up trunk is kept
    assert client.list() == [{"ifname": "trunk-av10", "parent": "trunk-a", "vlan": 10}]
    seen = errors()
    testbed.ip("link", "set", "trunk-a", "down", netns=pair.a)
    until("the tagger saw the link go down again", lambda: errors() > seen)
    testbed.ip("link", "del", "trunk-a", netns=pair.a)
    until("the taps of the deleted trunk closed", lambda: "trunk-a" not in client.stats())
    assert client.list() == []
    assert links(pair.a) == {"lo"}
    assert client.ping()["pid"] == pair.tagger_a.pid


def test_stale_namespaces_of_a_dead_run_are_swept(tmp_path):
    gone = subprocess.Popen(["true"])
    gone.wait()
    stale = f"{testbed.PREFIX}{gone.pid}-x"
    if procs.stat(gone.pid) is not None:
        pytest.fail(f"pid {gone.pid} was reused at once; run again")
    testbed.add_netns(stale)
    leftover = start_tagger(netns=stale, socket=tmp_path / "stale.sock")  # a crashed run's daemon
    assert stale in testbed.sweep_stale()
    assert stale not in testbed.netns_names()
    assert not procs.alive(leftover.record)  # the sweep stopped (and reaped) it
    assert stale not in testbed.sweep_stale()

"""The node's state file: users of shared sub-interfaces, the lock that makes
concurrent plugin runs safe, owed Detach calls, and a broken file."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from cni.plugin import errors
from cni.plugin.errors import CniError
from cni.plugin.records import NodeStore, PendingDetach

ROOT = Path(__file__).resolve().parents[2]


def test_users_of_a_sub_interface(tmp_path):
    store = NodeStore(str(tmp_path), "server1")
    with store.locked() as st:
        st.add_user(parent="eth1", vlan=10, ifname="eth1v10", backend="tagger", key="blue/c1/net1")
        st.add_user(parent="eth1", vlan=10, ifname="eth1v10", backend="tagger", key="blue/c2/net1")
        st.add_user(parent="eth1", vlan=10, ifname="eth1v10", backend="tagger", key="blue/c2/net1")  # again
    with store.locked() as st:
        assert st.vlans["eth1/10"].users == ["blue/c1/net1", "blue/c2/net1"]
        assert st.drop_user(parent="eth1", vlan=10, key="blue/c1/net1") is None
        assert st.drop_user(parent="eth1", vlan=10, key="blue/c9/net1") is None  # not a user: nothing
        last = st.drop_user(parent="eth1", vlan=10, key="blue/c2/net1")
        assert last is not None and last.ifname == "eth1v10"
        assert st.drop_user(parent="eth1", vlan=10, key="blue/c2/net1") is None  # already gone
    assert store.read().vlans == {}
    assert (tmp_path / "server1").stat().st_mode & 0o777 == 0o700


def test_a_failed_block_changes_nothing(tmp_path):
    store = NodeStore(str(tmp_path), "server1")
    with pytest.raises(RuntimeError), store.locked() as st:
        st.add_user(parent="eth1", vlan=10, ifname="eth1v10", backend="tagger", key="k")
        raise RuntimeError("boom")
    assert store.read().vlans == {}


def test_a_new_add_drops_what_was_owed_for_that_interface(tmp_path):
    store = NodeStore(str(tmp_path), "n1")

    def owed(uid: str, ifname: str) -> PendingDetach:
        return PendingDetach(
            controller="unix:///s",
            pod_namespace="default",
            pod_name="p",
            pod_uid=uid,
            network="default/blue",
            ifname=ifname,
            container_id="c1",
            since=0.0,
        )

    with store.locked() as st:
        st.pending = [owed("u1", "net1"), owed("u1", "net2"), owed("u2", "net1")]
    with store.locked() as st:
        st.drop_pending(pod_uid="u1", network="default/blue", ifname="net1")
    assert [(p.pod_uid, p.ifname) for p in store.read().pending] == [("u1", "net2"), ("u2", "net1")]


def test_the_lock_excludes_and_times_out(tmp_path):
    store = NodeStore(str(tmp_path), "n1")
    inside, release = threading.Event(), threading.Event()

    def holder():
        with store.locked():
            inside.set()
            release.wait(10)

    t = threading.Thread(target=holder)
    t.start()
    try:
        assert inside.wait(10)
        with pytest.raises(CniError) as err, store.locked(timeout=0.3):
            pass
        assert err.value.code == errors.TRY_AGAIN and "locked by another fabric-cni run" in err.value.msg
    finally:
        release.set()
        t.join(10)
    with store.locked(timeout=1):
        pass


ADD_USER = """
import sys
from cni.plugin.records import NodeStore
with NodeStore(sys.argv[1], "n1").locked() as st:
    st.add_user(parent="eth1", vlan=10, ifname="eth1v10", backend="tagger", key=sys.argv[2])
"""


def test_concurrent_runs_lose_no_user(tmp_path):
    procs = [
        subprocess.Popen([sys.executable, "-c", ADD_USER, str(tmp_path), f"blue/c{i}/net1"], cwd=ROOT)
        for i in range(12)
    ]
    assert [p.wait(60) for p in procs] == [0] * 12
    users = NodeStore(str(tmp_path), "n1").read().vlans["eth1/10"].users
    assert sorted(users) == sorted(f"blue/c{i}/net1" for i in range(12))


def test_an_unreadable_state_file_is_not_replaced(tmp_path):
    store = NodeStore(str(tmp_path), "n1")
    (tmp_path / "n1").mkdir()
    (tmp_path / "n1" / "state.json").write_text("{not json")
    with pytest.raises(CniError) as err, store.locked():
        pass
    assert err.value.code == errors.IO_FAILURE and "inspect it, then move it away" in err.value.msg
    assert (tmp_path / "n1" / "state.json").read_text() == "{not json"
    (tmp_path / "n1" / "state.json").write_text(json.dumps({"version": 99}))
    with pytest.raises(CniError, match="state version 99"):
        store.read()


def test_a_state_directory_that_cannot_be_made(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(CniError) as err, NodeStore(str(tmp_path / "file"), "n1").locked():
        pass
    assert err.value.code == errors.IO_FAILURE and "cannot create the state directory" in err.value.msg


def test_the_run_log_rotates(tmp_path):
    store = NodeStore(str(tmp_path), "n1", log_max_bytes=200)
    for i in range(20):
        store.log({"command": "ADD", "i": i})
    lines = (tmp_path / "n1" / "log.jsonl").read_text().splitlines()
    assert json.loads(lines[-1])["i"] == 19 and len(lines) < 20
    assert (tmp_path / "n1" / "log.jsonl.1").exists()

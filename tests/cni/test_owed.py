"""The plugin against a fabricd that is slow or answers the newer codes: a
real gRPC server in this process (a Fabric servicer whose Detach never
answers in time, whose Attach answers what the test says), the plugin's
own client and records.

Item 10: the Detach calls owed to fabricd are sent under the node's lock;
16 of them at 2 s each held it for 32 s, longer than the lock's 30 s, so
every other run on the node failed with "locked" (error 11). A run now
spends at most owed.FLUSH_BUDGET_S on them and leaves the rest owed.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest

from cni.plugin import errors, nodeconf, owed, records
from cni.plugin.config import NetRef, Pod, parse_env, parse_netconf
from cni.plugin.context import Run
from cni.plugin.controller import AttachmentRef
from cni.plugin.errors import CniError
from cni.plugin.records import PendingDetach
from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc

CONF = {"cniVersion": "1.1.0", "name": "blue", "type": "fabric-cni", "network": "default/blue"}


class FakeFabricd(fabric_pb2_grpc.FabricServicer):
    """Detach never answers before the caller's deadline; Attach aborts with ``attach_code``."""

    def __init__(self) -> None:
        self.detaches = 0
        self.attach_code = grpc.StatusCode.ABORTED
        self.attach_message = ""
        self.done = threading.Event()
        self._lock = threading.Lock()

    def Detach(self, request, context):
        with self._lock:
            self.detaches += 1
        while context.is_active() and not self.done.wait(0.05):
            pass  # slow: the caller's deadline ends the call
        return fabric_pb2.DetachResponse(removed=True)

    def Attach(self, request, context):
        context.abort(self.attach_code, self.attach_message)


@contextlib.contextmanager
def fake_fabricd() -> Iterator[tuple[FakeFabricd, str]]:
    d = Path(tempfile.mkdtemp(prefix="fdv-owed-", dir="/tmp"))  # short: sun_path
    fake = FakeFabricd()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    fabric_pb2_grpc.add_FabricServicer_to_server(fake, server)
    address = f"unix://{d / 'api.sock'}"
    server.add_insecure_port(address)
    server.start()
    try:
        yield fake, address
    finally:
        fake.done.set()
        server.stop(grace=None)
        shutil.rmtree(d, ignore_errors=True)


def make_run(tmp_path: Path, controller: str, command: str = "STATUS") -> Run:
    environ = {"CNI_COMMAND": command, "CNI_PATH": "/usr/lib/cni"}
    if command == "ADD":
        environ |= {"CNI_CONTAINERID": "c1", "CNI_NETNS": "/run/netns/x", "CNI_IFNAME": "net1"}
        environ["CNI_ARGS"] = "K8S_POD_NAMESPACE=default;K8S_POD_NAME=p;K8S_POD_UID=u"
    env = parse_env(environ)
    conf = parse_netconf(json.dumps(CONF).encode(), env)
    node = {"controller": controller, "stateDir": str(tmp_path), "node": "server1"}
    return Run.make(env, conf, nodeconf.parse(node, file="", environ={}, hostname="server1"))


def owe(run: Run, count: int) -> None:
    with run.store.locked() as st:
        st.pending = [
            PendingDetach(
                controller=run.node_conf.controller,
                pod_namespace="default",
                pod_name=f"pod-{i}",
                pod_uid=f"uid-{i}",
                network="default/blue",
                cni_network="blue",
                ifname="net1",
                container_id=f"c{i}",
                since=0.0,
            )
            for i in range(count)
        ]


def test_the_budget_is_far_inside_the_node_lock():
    assert owed.FLUSH_BUDGET_S + owed.FLUSH_TIMEOUT_S <= records.LOCK_TIMEOUT_S / 2


def test_a_slow_fabricd_never_holds_the_node_lock_past_its_timeout(tmp_path):
    with fake_fabricd() as (fake, address):
        run = make_run(tmp_path, address)
        owe(run, owed.FLUSH_MAX)
        box: dict[str, object] = {}
        t0 = time.monotonic()
        flusher = threading.Thread(target=lambda: box.setdefault("sent", owed.flush_pending(run)))
        flusher.start()
        deadline = time.monotonic() + 30
        while fake.detaches == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert fake.detaches == 1, "the flush never called Detach"
        # another run of this node (an ADD, a DEL) waits for the lock and gets it
        other = make_run(tmp_path, address)
        with other.store.locked() as st:
            waited = time.monotonic() - t0
            assert len(st.pending) == owed.FLUSH_MAX  # nothing was sent, all still owed
        flusher.join(60)
        run.close()
    assert box["sent"] == 0
    # each call ended at its deadline; no more were tried than fit the budget
    assert fake.detaches <= owed.FLUSH_BUDGET_S / owed.FLUSH_TIMEOUT_S + 1
    assert waited < records.LOCK_TIMEOUT_S  # before the fix: 16 x 2 s = 32 s, and "locked" (error 11)
    assert any("still owed" in n for n in run.notes), run.notes


@pytest.mark.parametrize(
    ("code", "message", "cni_code"),
    [
        (grpc.StatusCode.ABORTED, "a Detach of default/p came in while this Attach waited", errors.TRY_AGAIN),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, "node server1 holds 100 attachments", errors.VLANS_EXHAUSTED),
        (grpc.StatusCode.FAILED_PRECONDITION, "no network with VNI 1111 that pod namespace 'x' may use", 101),
    ],
)
def test_the_newer_attach_answers(tmp_path, code, message, cni_code):
    with fake_fabricd() as (fake, address):
        fake.attach_code, fake.attach_message = code, message
        run = make_run(tmp_path, address, "ADD")
        ref = AttachmentRef.of(Pod(namespace="default", name="p", uid="u"), NetRef(vni=1111), "net1")
        with pytest.raises(CniError) as err:
            run.controller().attach(ref, container_id="c1", node="server1", nic="eth1", cni_network="b", timeout=5)
        run.close()
    assert err.value.code == cni_code and message in err.value.msg and err.value.status == code.name

"""The tagger client and backend_for, against sockets that misbehave.
No root needed (real unix sockets in the test's directory)."""

from __future__ import annotations

import contextlib
import os
import socket
import threading

import pytest

from cni.vlan.backend import backend_for
from cni.vlan.client import TaggerVlanBackend
from cni.vlan.errors import VlanError, VlanInvalid, VlanUnreachable, VlanUnsupported
from cni.vlan.kernel import KernelVlanBackend
from tests.vlan.conftest import kernel_8021q


@contextlib.contextmanager
def fake_tagger(path, reply: bytes | None):
    """A unix socket that reads one request and answers ``reply`` (None: never answers)."""
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(str(path))
    srv.listen()
    requests: list[bytes] = []
    done = threading.Event()

    def serve():
        conn, _ = srv.accept()
        with conn:
            requests.append(conn.recv(65536))
            if reply is not None:
                conn.sendall(reply)
            else:
                done.wait(10)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        yield requests
    finally:
        done.set()
        t.join(10)
        srv.close()


def test_no_tagger_is_unreachable_and_temporary(tmp_path):
    sock = tmp_path / "none.sock"
    with pytest.raises(VlanUnreachable) as e:
        TaggerVlanBackend(sock).ensure("eth1", 10)
    assert str(e.value) == (
        f"VLAN 10 of eth1: the tagger at {sock} does not answer (No such file or directory); is "
        f"`python -m cni.vlan.tagger --socket {sock}` running in this network namespace?"
    )
    assert e.value.temporary and (e.value.parent, e.value.vlan) == ("eth1", 10)


def test_a_bad_request_is_refused_before_asking_the_tagger(tmp_path):
    client = TaggerVlanBackend(tmp_path / "none.sock")
    with pytest.raises(VlanInvalid, match=r"VLAN 0 of eth1: VLAN id 0"):
        client.ensure("eth1", 0)
    with pytest.raises(VlanInvalid, match=r"longer than 15"):
        client.release("x" * 16, 10)
    with pytest.raises(VlanInvalid, match=r"interface name 'a:b'"):
        client.ensure("eth1", 10, ifname="a:b")


def test_the_request_carries_the_callers_namespace(tmp_path):
    sock = tmp_path / "t.sock"
    with fake_tagger(sock, b'{"ok":true,"ifname":"eth1v10","created":true}\n') as requests:
        assert TaggerVlanBackend(sock).ensure("eth1", 10) == "eth1v10"
    assert requests[0] == (
        b'{"op":"ensure","parent":"eth1","vlan":10,"netns":%d}\n' % os.stat("/proc/self/ns/net").st_ino
    )


def test_an_answer_that_is_not_json_is_an_error(tmp_path):
    sock = tmp_path / "t.sock"
    with fake_tagger(sock, b"hello\n"), pytest.raises(VlanError, match="not a response: b'hello'"):
        TaggerVlanBackend(sock).release("eth1", 10)


def test_a_tagger_that_hangs_up_or_stays_silent_is_unreachable(tmp_path):
    sock = tmp_path / "t.sock"
    with fake_tagger(sock, b""), pytest.raises(VlanUnreachable, match="closed the connection without an answer"):
        TaggerVlanBackend(sock).ensure("eth1", 10)
    sock.unlink()
    with fake_tagger(sock, None), pytest.raises(VlanUnreachable, match=r"does not answer \(timed out\)"):
        TaggerVlanBackend(sock, timeout=0.2).ensure("eth1", 10)


def test_backend_for_names_what_is_missing(tmp_path):
    with pytest.raises(VlanInvalid, match=r"tagger backend: no tagger socket given"):
        backend_for("tagger")
    with pytest.raises(VlanInvalid, match=r"VLAN backend 'vlan': not one of auto, kernel, tagger"):
        backend_for("vlan")  # type: ignore[arg-type]
    b = backend_for("tagger", tagger_socket=tmp_path / "x.sock")
    assert isinstance(b, TaggerVlanBackend) and b.name == "tagger" and b.same_netns
    has = kernel_8021q()
    if has:
        assert isinstance(backend_for("auto"), KernelVlanBackend)
        return
    cause = "this kernel has no 802.1Q" if has is False else "cannot probe the kernel for 802.1Q"
    with pytest.raises(VlanUnsupported) as e:
        backend_for("auto", tagger_socket=tmp_path / "x.sock")
    assert str(e.value).startswith(f"no VLAN backend: no tagger socket at {tmp_path / 'x.sock'}, and {cause}")
    with pytest.raises(VlanUnsupported) as e:
        backend_for("auto")
    assert str(e.value).startswith(f"no VLAN backend: no tagger socket given, and {cause}")

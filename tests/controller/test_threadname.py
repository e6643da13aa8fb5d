"""fabricd's threads carry their names where the OS shows them (top -H,
ps -L, /proc), so a CPU split by thread tells the event loop, the store
writer and the metrics server from gRPC's own threads."""

from __future__ import annotations

import os
import threading
import time

from prometheus_client import CollectorRegistry

from controller.httpd import Health, MetricsServer
from controller.store.sqlite import SqliteStore
from controller.threadname import OS_NAME_MAX, name_os_thread, thread


def _os_name(tid: int | str) -> str:
    """A thread's name as the OS shows it ("": the thread ended meanwhile)."""
    try:
        with open(f"/proc/self/task/{tid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def _os_names() -> set[str]:
    return {_os_name(tid) for tid in os.listdir("/proc/self/task")}


def test_a_thread_is_named_for_the_os_and_the_name_is_cut_to_the_kernels_length():
    seen: list[str] = []

    def body() -> None:
        seen.append(_os_name(threading.get_native_id()))
        name_os_thread("x" * 40)
        seen.append(_os_name(threading.get_native_id()))

    t = thread(body, "fabricd-test")
    assert t.daemon and t.name == "fabricd-test"
    t.start()
    t.join(30)
    assert seen == ["fabricd-test", "x" * OS_NAME_MAX]
    # the caller's own name is untouched
    assert _os_name(threading.get_native_id()) not in ("", "fabricd-test")


def test_the_store_writer_and_the_metrics_server_are_named(tmp_path):
    store = SqliteStore(tmp_path / "fabricd.db")
    server = MetricsServer("127.0.0.1:0", CollectorRegistry(), Health())
    server.start()
    try:
        # each names itself as it starts: wait for that, generously
        deadline = time.monotonic() + 30
        while not {"fabricd-store", "fabricd-metrics"} <= _os_names() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert {"fabricd-store", "fabricd-metrics"} <= _os_names()
    finally:
        server.stop()
        store.close()

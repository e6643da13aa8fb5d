"""Shared fixtures, and what a stuck test leaves behind."""

import asyncio
import gc
import sys
import threading

import pytest

# pytest-timeout's thread method kills the whole run when a test (setup to teardown) passes `timeout`,
# dumping the threads' stacks; the stack of an asyncio test's thread only says "in select". So shortly
# before, print where every task of every running event loop is waiting: the await a stuck test hangs on.
_TASKS_BEFORE_TIMEOUT_S = 20.0


def pytest_addoption(parser):
    parser.addoption(
        "--soak",
        action="store_true",
        help="run the reliability suite long (1,000 kill -9 rounds, 100 HA failover and fencing rounds, ...)",
    )


@pytest.fixture(scope="session")
def etcd3(tmp_path_factory):
    """One real 3-member etcd 3.6 (the tools build) on 127.0.0.1 ports for the
    whole run, started on first use and torn down at the end; each test uses
    its own key prefix. Tests that kill members start a cluster of their own."""
    from tests.servers.etcd import etcd_cluster

    with etcd_cluster(tmp_path_factory.mktemp("etcd"), size=3) as cluster:
        yield cluster


def _dump_tasks(test: str) -> None:
    loops = [o for o in gc.get_objects() if isinstance(o, asyncio.AbstractEventLoop) and o.is_running()]
    print(f"\n+++ {test} still running: the tasks of {len(loops)} running event loop(s) +++", file=sys.stderr)
    for loop in loops:
        for task in list(asyncio.all_tasks(loop)):  # read from another thread: for diagnosis only
            state = "cancelling" if task.cancelling() else "pending"
            print(f"--- {task.get_name()} ({state}): {task.get_coro()!r}", file=sys.stderr)
            for line in _awaits(task.get_coro()):
                print(f"    {line}", file=sys.stderr)
    sys.stderr.flush()


def _awaits(coro, depth: int = 40):
    """Where a coroutine waits: each frame down its chain of awaits (a task's
    own stack shows only its outermost frame)."""
    while coro is not None and depth > 0:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "ag_frame", None)
        if frame is None:  # grpc's Cython coroutines have no Python frames
            yield f"{coro!r} (no Python frame)"
            return
        yield f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"
        coro = getattr(coro, "cr_await", None) or getattr(coro, "ag_await", None)
        depth -= 1


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    marker = item.get_closest_marker("timeout")
    timeout = float(marker.args[0]) if marker and marker.args else float(item.config.getini("timeout") or 0)
    timer = None
    if timeout > 2 * _TASKS_BEFORE_TIMEOUT_S:
        timer = threading.Timer(timeout - _TASKS_BEFORE_TIMEOUT_S, _dump_tasks, args=(item.nodeid,))
        timer.daemon = True
        timer.start()
    try:
        return (yield)
    finally:
        if timer is not None:
            timer.cancel()


# CPython 3.11.7 (the interpreter here) can raise "SystemError: AST constructor recursion depth mismatch"
# while pytest parses a test's source to show a failure, which ended a CI run as an INTERNALERROR that
# never said which test failed or why. Then the report is built again with plain Python tracebacks.
@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    try:
        return (yield)
    except (SystemError, Warning) as err:  # pluggy wraps it in PluggyTeardownRaisedWarning
        print(f"\n{item.nodeid}: pytest could not format its failure ({err!r}); a native traceback follows",
              file=sys.stderr)  # fmt: skip
        item.config.option.tbstyle = "native"
        return pytest.TestReport.from_item_and_call(item, call)

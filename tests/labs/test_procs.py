"""labs.run.procs against real child processes."""

from __future__ import annotations

import os
import sys
import time

from labs.run import procs

#: the main thread leaves (pthread_exit) while another thread runs on and
#: ends the process with code 5 later: the leader shows as a zombie in /proc
#: while waitpid cannot collect it yet (the race a starting tagger met in CI)
LEADER_FIRST = """
import ctypes, os, threading, time
threading.Thread(target=lambda: (time.sleep(0.5), os._exit(5))).start()
ctypes.CDLL(None).pthread_exit(None)
"""


def test_exit_code_waits_for_a_leader_whose_threads_still_run(tmp_path):
    pid = procs.spawn_detached([sys.executable, "-c", LEADER_FIRST], tmp_path / "log")
    rec = procs.record("test", pid, argv=[sys.executable])
    assert rec is not None
    deadline = time.monotonic() + 10
    while procs.alive(rec):  # until the leader is a zombie
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert procs.reap(pid) is None  # the case: gone by /proc, not collectable yet
    assert procs.exit_code(pid, within=10) == 5


def test_exit_code_of_no_child_is_none_at_once():
    start = time.monotonic()
    assert procs.exit_code(os.getppid(), within=30) is None  # a live process that is not our child
    assert time.monotonic() - start < 10  # not the 30 s a child still exiting would get

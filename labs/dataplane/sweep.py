"""Sweeping what dead runs left behind (tests, crashed demos).

A run names its host-global things with a prefix carrying its pid
(``fdt<pid>-``: namespaces ``fdt<pid>-<lab>-<node>``, state directories
``/tmp/fdt<pid>-*/<lab>``). Once that pid is gone, :func:`sweep_dead_runs`
tears down each of its state directories by its state file (processes by
pid, namespaces, mounts: :mod:`labs.run.teardown`), then removes whatever of
the run is left by name: namespaces (processes inside them first) and
mounts. Runs whose pid lives are never touched.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from labs.dataplane import netns
from labs.errors import LabError
from labs.run import procs
from labs.run.statefile import is_state_dir

RUN = re.compile(r"^fdt(?P<pid>[0-9]+)-")


def _dead(name: str, pattern: re.Pattern[str]) -> bool:
    m = pattern.match(name)
    if m is None:
        return False
    pid = int(m.group("pid"))
    st = procs.stat(pid)
    return pid != os.getpid() and (st is None or st.zombie)


def sweep_dead_runs(*, tmp: Path = Path("/tmp"), pattern: re.Pattern[str] = RUN) -> list[str]:
    """What was removed, as text."""
    from labs.run.teardown import teardown

    done: list[str] = []
    for d in sorted(tmp.iterdir()) if tmp.is_dir() else []:
        if not (d.is_dir() and _dead(d.name, pattern)):
            continue
        for sdir in sorted(d.iterdir()):
            if sdir.is_dir() and is_state_dir(sdir):
                try:
                    done += teardown(sdir, grace=5.0)
                except LabError as e:
                    done.append(f"{sdir}: {e}")
        for mount in sorted(m for m in netns.mount_points() if m.startswith(f"{d}/")):
            netns.unmount(mount)
            done.append(f"unmounted {mount}")
        shutil.rmtree(d, ignore_errors=True)
        done.append(f"removed {d}")
    for name in sorted(os.listdir(netns.NETNS_DIR)) if netns.NETNS_DIR.is_dir() else []:
        if _dead(name, pattern):
            netns.delete_netns(name)
            done.append(f"removed network namespace {name}")
    return done

"""The kernel's flood lists: each VXLAN device's all-zero MAC FDB entries.

FRR (zebra) installs, for every EVPN type-3 (IMET) route it learned for VNI
``V``, an entry ``00:00:00:00:00:00 dst REMOTE-VTEP self permanent`` on the
VNI's VXLAN device ``vx-V`` (:func:`labs.emulator.linux.kernel.vxlan_name`):
BUM traffic goes to each of them (head-end replication). :func:`parse` reads
them from ``bridge -j fdb show``; :class:`FdbFollower` re-reads them whenever
``bridge monitor fdb`` reports a change (and every ``RESYNC_S`` seconds), so
the state tree follows FRR's routes without a polling loop doing the work.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import subprocess
from collections.abc import Awaitable, Callable

from labs.dataplane.cmd import arun
from labs.errors import LabCommandError

log = logging.getLogger(__name__)

ZERO_MAC = "00:00:00:00:00:00"
RESYNC_S = 10.0
SETTLE_S = 0.05  # after a monitor line: let the rest of a burst arrive
RETRY_S = 1.0
_VX = re.compile(r"vx([1-9][0-9]*)")

Floods = dict[int, frozenset[str]]


def parse(text: str) -> Floods:
    """VNI -> remote VTEPs it floods to, from ``bridge -j fdb show``."""
    out: dict[int, set[str]] = {}
    try:
        entries = json.loads(text or "[]")
    except ValueError:
        return {}
    for e in entries if isinstance(entries, list) else []:
        m = _VX.fullmatch(str(e.get("ifname", "")))
        if m and e.get("mac") == ZERO_MAC and e.get("dst"):
            out.setdefault(int(m.group(1)), set()).add(str(e["dst"]))
    return {v: frozenset(s) for v, s in out.items()}


async def read(netns: str) -> Floods:
    return parse(await arun(["bridge", "-n", netns, "-j", "fdb", "show"], limit_s=10))


class FdbFollower:
    """Calls ``changed()`` after every FDB change of the namespace."""

    def __init__(self, netns: str, changed: Callable[[], Awaitable[None]]) -> None:
        self._netns = netns
        self._changed = changed
        self.stopping = False

    async def run(self) -> None:
        argv = ["bridge", "-n", self._netns, "monitor", "fdb"]
        while not self.stopping:
            try:
                proc = await asyncio.create_subprocess_exec(
                    *argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
                )
            except OSError as e:
                log.warning("%s: cannot follow the FDB: %s", self._netns, e)
                await asyncio.sleep(RETRY_S)
                continue
            try:
                with contextlib.suppress(LabCommandError):
                    await self._changed()  # what is there now; the monitor tells what changes
                await self._watch(proc)
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()
            await asyncio.sleep(RETRY_S)

    async def _watch(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        while not self.stopping:
            try:
                async with asyncio.timeout(RESYNC_S):
                    chunk = await proc.stdout.read(1 << 16)
            except TimeoutError:
                chunk = b"resync"
            if not chunk:
                return  # the monitor went away: retry
            await asyncio.sleep(SETTLE_S)
            with contextlib.suppress(LabCommandError):
                await self._changed()

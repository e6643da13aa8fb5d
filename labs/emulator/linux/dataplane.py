"""``dataplane: linux``: the emulator's config becomes Linux state in the
switch's namespace, and lldpd's neighbours become its LLDP state.

* :meth:`LinuxDataplane.start` (and after a "reboot"): the LLDP interfaces
  and interface state are written, lldpd is read, an ``lldpcli watch``
  follows it from then on, and the overlay is reconciled with the config
  (day-0: none, so leftovers go).
* :meth:`LinuxDataplane.applied`, after every committed Set: the whole
  overlay is reconciled with the running config (:mod:`.overlay`): kernel
  plan (:mod:`.kernel`), VLAN members (:mod:`.vlanports`), FRR's VNIs
  (:mod:`.frrvni`). Nothing differs, nothing is done: one ``ip`` and one
  ``vtysh`` read.
* Errors applying to Linux never reach the gNMI client (the config is
  committed, as on a device whose hardware programming fails) and never
  crash the emulator: they are logged and reported per VNI in the state
  tree, ``.../vxlan/endpoint-vnis/endpoint-vni[vni=V]/state`` with
  ``vni-state`` DOWN and the reason in ``dataplane-error`` (UP when applied).
* LLDP: a change seen by ``lldpcli watch`` (or every
  :data:`LLDP_RESYNC_S` seconds) triggers a read of every neighbour, and
  the difference goes to the state tree as updates and deletes, so
  Subscribe ON_CHANGE streams it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import subprocess
from collections.abc import Iterable
from typing import TYPE_CHECKING

from labs.dataplane.cmd import arun
from labs.emulator.errors import SpecError
from labs.emulator.floods import FloodReport
from labs.emulator.linux import fdb, frrvni, kernel, lldpmap
from labs.emulator.linux.overlay import Overlay
from labs.emulator.linux.vlanports import VlanPortError, VlanPorts, vlan_ports
from labs.emulator.opstate import OPENCONFIG_STATE
from labs.emulator.platform import StateModel, platform
from labs.emulator.txn import Change, Op
from labs.errors import LabCommandError
from labs.files.spec import SwitchSpec
from models.oc.path import Path
from models.oc.tree import Tree

if TYPE_CHECKING:
    from labs.emulator.dataplane import StateSink

log = logging.getLogger(__name__)

LLDP_RESYNC_S = 10.0
LLDP_SETTLE_S = 0.05  # after a watch event: let the rest of a burst arrive
LLDP_RETRY_S = 1.0


class LinuxDataplane:
    def __init__(
        self, spec: SwitchSpec, *, vlan: VlanPorts | None = None, state: StateModel = OPENCONFIG_STATE
    ) -> None:
        if spec.linux is None:
            raise SpecError(f"{spec.name}: dataplane linux needs the switch's namespace (spec.linux)")
        self._spec = spec
        self._platform = platform(spec.platform)
        self._state = state
        self._lx = spec.linux
        self._name = spec.name
        self._to_linux = dict(spec.linux.ports)
        self._to_oc = {linux: oc for oc, linux in self._to_linux.items()}
        self._vlan = vlan
        self._vlan_ifs: dict[tuple[str, int], str] = {}
        self._lldp: lldpmap.Neighbours = {}
        self._lldp_task: asyncio.Task[None] | None = None
        self._stopping = False
        self._sink: StateSink | None = None
        self._reported: dict[int, Path] = {}
        #: the last reconcile's problems: VNI (None: not a VNI's) -> messages
        self.errors: dict[int | None, list[str]] = {}
        #: each VNI's flood list as the kernel has it (labs.emulator.linux.fdb)
        self._floods: fdb.Floods = {}
        self._want: Overlay | None = None
        self._flood_report = FloodReport()
        self._fdb = fdb.FdbFollower(spec.linux.netns, self._refresh_floods)
        self._fdb_task: asyncio.Task[None] | None = None

    # -- the Dataplane protocol

    async def start(self, config: Tree, sink: StateSink) -> None:
        self._sink = sink
        self._stopping = False
        self._lldp = {}
        self._reported = {}
        sink.write_state(self._state.start_ops(self._spec.ports, config))
        await self._refresh_lldp()
        self._lldp_task = asyncio.create_task(self._follow_lldp(), name=f"{self._name} lldp")
        self._flood_report.forget()
        self._fdb.stopping = False
        self._fdb_task = asyncio.create_task(self._fdb.run(), name=f"{self._name} fdb")
        await self.reconcile(config)

    async def applied(self, change: Change, config: Tree, sink: StateSink) -> None:
        touched = self._state.touched_interfaces([p for p, _ in change.updates] + list(change.deletes))
        if touched:
            sink.write_state(self._state.interface_ops(config, touched))
        await self.reconcile(config)

    def restore_lldp(self, port: str | None, sink: StateSink) -> int:
        """lldpd's neighbours as last read (on ``port`` or all) into state
        again; a fault's removal otherwise lasts until lldpd reports a change."""
        keys = [k for k in self._lldp if port is None or k[0] == port]
        ops = lldpmap.diff({}, {k: self._lldp[k] for k in keys}, self._state)
        if ops:
            sink.write_state(ops)
        return len(keys)

    async def stop(self) -> None:
        # the flag too: Python 3.11's wait_for may swallow a cancellation that
        # races with its result (lldpcli killed by the same SIGTERM as we are)
        self._stopping = True
        self._fdb.stopping = True
        for task in (self._lldp_task, self._fdb_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._lldp_task = self._fdb_task = None

    # -- the overlay

    async def reconcile(self, config: Tree) -> None:
        """Make the switch's Linux state what ``config`` asks for; problems
        are logged and reported in the state tree, never raised."""
        errors: dict[int | None, list[str]] = {}
        want: Overlay | None = None
        try:
            want = self._platform.overlay(config, self._lx.router_id)
            await self._kernel(want, errors)
            await self._frr(want, errors)
        except Exception as e:  # a dataplane bug must not fail the committed Set
            log.exception("%s: dataplane: reconcile failed", self._name)
            errors.setdefault(None, []).append(f"internal error: {type(e).__name__}: {e}")
        self.errors = errors
        for vni, msgs in errors.items():
            for msg in msgs:
                log.error("%s: dataplane%s: %s", self._name, f" VNI {vni}" if vni else "", msg)
        if want is not None:
            self._report(want, errors)

    def _vlans(self) -> VlanPorts:
        if self._vlan is None:
            self._vlan = vlan_ports(self._lx)
        return self._vlan

    async def _ip(self, *args: str) -> str:
        return await arun(["ip", "-n", self._lx.netns, *args])

    async def _kernel(self, want: Overlay, errors: dict[int | None, list[str]]) -> None:
        try:
            links = kernel.parse_links(await self._ip("-d", "-j", "link", "show"))
        except (LabCommandError, ValueError) as e:
            errors.setdefault(None, []).append(f"cannot read the links: {e}")
            return
        bridges = self._bridges(want)
        steps = kernel.plan(
            bridges,
            links,
            self._vlan_ifs,
            ports_down=[self._to_linux[p] for p in want.disabled if p in self._to_linux],
            ports=self._to_linux.values(),
        )
        if steps:
            log.info("%s: dataplane: %s", self._name, "; ".join(kernel.describe(steps)))
        failed: set[int | None] = set()
        for step in steps:
            if step.vni is not None and step.vni in failed:
                continue
            try:
                await self._do(step)
            except (LabCommandError, VlanPortError) as e:
                failed.add(step.vni)
                errors.setdefault(step.vni, []).append(str(e))
            except Exception as e:  # one bad step must not stop the others
                log.exception("%s: dataplane: %s", self._name, kernel.describe([step])[0])
                failed.add(step.vni)
                errors.setdefault(step.vni, []).append(f"internal error: {type(e).__name__}: {e}")

    def _bridges(self, want: Overlay) -> dict[int, kernel.Bridge]:
        if want.members is None:  # openconfig: each VNI's VLAN on the trunk and access ports
            return kernel.desired_bridges(
                {v.vni: (v.vlan, v.vtep) for v in want.vnis.values()},
                {self._to_linux[p]: vlans for p, vlans in want.trunks.items() if p in self._to_linux},
                {self._to_linux[p]: vlan for p, vlan in want.access.items() if p in self._to_linux},
            )
        return {
            vni: kernel.Bridge(
                vni=vni,
                vtep=w.vtep,
                members=frozenset(
                    kernel.Member(port=self._to_linux[p], vlan=vlan)
                    for p, vlan in want.members.get(vni, ())
                    if p in self._to_linux
                ),
            )
            for vni, w in want.vnis.items()
        }

    async def _do(self, step: kernel.Step) -> None:
        if isinstance(step, kernel.Ip):
            await self._ip(*step.args)
        elif isinstance(step, kernel.EnsureVlan):
            ifname = await self._vlans().ensure(step.port, step.vlan)
            self._vlan_ifs[(step.port, step.vlan)] = ifname
            await self._ip("link", "set", ifname, "master", step.bridge)
            await self._ip("link", "set", ifname, "up")
        else:
            await self._vlans().release(step.port, step.vlan)
            self._vlan_ifs.pop((step.port, step.vlan), None)

    async def _frr(self, want: Overlay, errors: dict[int | None, list[str]]) -> None:
        wanted = {
            m.vni: frrvni.FrrVni(vni=m.vni, rd=m.rd, imports=frozenset(m.imports), exports=frozenset(m.exports))
            for m in want.macvrfs.values()
        }
        vtysh = ["vtysh", "--vty_socket", self._lx.frr_dir]
        try:
            have = frrvni.parse(await arun([*vtysh, "-c", "show running-config"]))
        except LabCommandError as e:
            errors.setdefault(None, []).append(f"cannot read FRR's configuration: {e}")
            return
        body = frrvni.plan(wanted, have)
        if not body:
            return
        log.info("%s: dataplane: FRR: %s", self._name, "; ".join(body))
        argv = list(vtysh)
        for c in frrvni.commands(self._lx.asn, body):
            argv += ["-c", c]
        try:
            out = await arun(argv)
            failure = None
        except LabCommandError as e:
            out, failure = e.stderr, str(e)
        # vtysh may exit 0 although a command failed: it prints "% reason" then
        problems = [line.strip() for line in out.splitlines() if line.strip().startswith("%")]
        if failure is not None or problems:
            for vni in _vnis_of(body):
                errors.setdefault(vni, []).append(f"FRR: {'; '.join(problems) or failure}")

    def _report(self, want: Overlay, errors: dict[int | None, list[str]]) -> None:
        if self._sink is None:
            return
        general = errors.get(None, [])
        ops: list[Op] = []
        now: dict[int, Path] = {}
        for vni, w in sorted(want.vnis.items()):
            path, value = self._platform.vni_report(w, general + errors.get(vni, []))
            now[vni] = path
            ops.append(Op(kind="replace", path=path, value=value))
        for vni, path in self._reported.items():
            if now.get(vni) != path:
                ops.append(Op(kind="delete", path=path))
        self._reported = now
        self._want = want
        # a VNI's report may replace its flood list's parent: both in one change
        ops += self._flood_report.ops(self._platform, want, self._floods, rewrite=True)
        if ops:
            self._sink.write_state(ops)

    async def _refresh_floods(self) -> None:
        floods = await fdb.read(self._lx.netns)
        if floods == self._floods:
            return
        self._floods = floods
        if self._want is not None and self._sink is not None:
            ops = self._flood_report.ops(self._platform, self._want, floods)
            if ops:
                self._sink.write_state(ops)

    # -- LLDP

    async def _refresh_lldp(self) -> None:
        try:
            text = await arun(["lldpcli", "-u", self._lx.lldp_socket, "-f", "json0", "show", "neighbors"], limit_s=10)
            doc = json.loads(text or "{}")
        except (LabCommandError, ValueError) as e:
            log.warning("%s: cannot read lldpd's neighbours: %s", self._name, e)
            return
        new = lldpmap.neighbours(doc if isinstance(doc, dict) else {}, self._to_oc)
        ops = lldpmap.diff(self._lldp, new, self._state)
        self._lldp = new
        if ops and self._sink is not None:
            self._sink.write_state(ops)

    async def _follow_lldp(self) -> None:
        argv = ["lldpcli", "-u", self._lx.lldp_socket, "-f", "json0", "watch"]
        while not self._stopping:
            try:
                proc = await asyncio.create_subprocess_exec(
                    *argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
                )
            except OSError as e:
                log.warning("%s: cannot follow lldpd: %s", self._name, e)
                await asyncio.sleep(LLDP_RETRY_S)
                continue
            try:
                await self._watch(proc)
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()
            await asyncio.sleep(LLDP_RETRY_S)
            if not self._stopping:
                await self._refresh_lldp()

    async def _watch(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        while not self._stopping:
            try:
                async with asyncio.timeout(LLDP_RESYNC_S):
                    chunk = await proc.stdout.read(1 << 16)
            except TimeoutError:
                await self._refresh_lldp()
                continue
            if not chunk:
                return  # lldpd went away: retry
            await asyncio.sleep(LLDP_SETTLE_S)
            await self._refresh_lldp()


def _vnis_of(body: Iterable[str]) -> list[int]:
    out = []
    for line in body:
        words = line.split()
        if len(words) >= 2 and words[-2] == "vni" and words[-1].isdigit():
            out.append(int(words[-1]))
    return out

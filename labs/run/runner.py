"""Start and stop a lab: the emulator host process and everything around it.

:func:`up` loads the lab, writes its per-run secrets into the state
directory; with ``dataplane: linux`` (root) it builds the nodes' namespaces,
links and daemons first (:mod:`labs.dataplane.bringup`); then it writes
``SPECS.json``, spawns the emulator host detached in its own session
(``python -m labs.emulator.host_process --specs SPECS.json --ready
READY.json``, the contract of :mod:`labs.files.spec`), waits for READY and,
on Linux, for the underlay to converge (:mod:`labs.dataplane.converge`),
recording everything in the state file (:mod:`labs.run.statefile`) as it
goes. :func:`down` removes exactly that (:mod:`labs.run.teardown`). Both are
idempotent; a stale leftover of an earlier run is cleaned, never a reason
to fail.

``FABRIC_LAB_HOST_CMD`` replaces ``python -m labs.emulator.host_process``
(split like a shell would; ``--specs`` and ``--ready`` are appended).
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import os
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from labs.dataplane import bringup
from labs.errors import LabError, LabRunError, LabStateError
from labs.files.build import build_specs
from labs.files.lab import Lab
from labs.files.spec import Dataplane, specs_to_json
from labs.files.topofile import load_lab
from labs.run import procs
from labs.run.certs import write_secret
from labs.run.material import Material, create_material
from labs.run.statefile import LabState, SwitchRecord, make_state_dir, read_state, resolve_state_dir, write_state
from labs.run.teardown import SPECS_FILE, teardown
from models.platforms import profile

Progress = Callable[[str], None]
ENV_HOST_CMD = "FABRIC_LAB_HOST_CMD"
READY_FILE = "ready.json"
LOG_FILE = "emulator-host.log"
HOST_ROLE = "emulator-host"
ADMIN_LISTEN = "127.0.0.1:0"


def _quiet(_: str) -> None:
    pass


def host_command() -> list[str]:
    env = os.environ.get(ENV_HOST_CMD)
    return shlex.split(env) if env else [sys.executable, "-m", "labs.emulator.host_process"]


def lab_digest(lab: Lab) -> str:
    h = hashlib.sha256(lab.file.read_bytes())
    if lab.sidecar_file is not None:
        h.update(lab.sidecar_file.read_bytes())
    return h.hexdigest()


def running(state: LabState | None) -> bool:
    """The lab of this state runs: READY was seen and its host, and every
    daemon of a Linux lab, still live."""
    if state is None or state.phase != "running":
        return False
    hosts = [p for p in state.processes if p.role == HOST_ROLE]
    return bool(hosts) and all(procs.alive(p) for p in state.processes)


def log_tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    tail = text.splitlines()[-lines:]
    return "\n".join(f"  | {line}" for line in tail) if tail else "  (the log is empty)"


def up(
    file: Path | str,
    *,
    state_dir: Path | str | None = None,
    dataplane: Dataplane | None = None,
    timeout: float = 120.0,
    host_cmd: Sequence[str] | None = None,
    progress: Progress = _quiet,
    converge: bool = True,
) -> LabState:
    """Start the lab of ``file`` (idempotent); its running state. With the
    Linux dataplane and ``converge``, return once the underlay converged
    (within ``timeout``)."""
    lab = load_lab(file)
    mode = dataplane or lab.sidecar.dataplane
    if mode == "linux" and os.geteuid() != 0:
        raise LabRunError(
            f"lab {lab.name}: dataplane linux needs root (network namespaces, lldpd, FRR); "
            "run as root, or use --dataplane none for the in-memory lab"
        )
    sdir = resolve_state_dir(lab.name, state_dir)
    digest = lab_digest(lab)
    try:
        old = read_state(sdir)
    except LabStateError:  # an unreadable state file is a stale leftover: teardown sweeps it
        old = None
    if running(old):
        assert old is not None
        if old.lab_sha256 == digest and old.dataplane == mode:
            progress(f"{lab.name}: already running (state {sdir})")
            return old
        progress(f"{lab.name}: running from another version of its files: restarting")
    if sdir.exists():
        for what in teardown(sdir):
            progress(f"{lab.name}: earlier run: {what}")
    started = time.monotonic()
    make_state_dir(sdir)
    progress(f"{lab.name}: state directory {sdir}")
    material = create_material(lab, sdir)
    state = _initial_state(lab, sdir, digest, mode, material)
    write_state(state)
    linux = None
    if mode == "linux":
        state = _linux(lab, state, progress)
        linux = bringup.switch_specs(lab, state)
    specs = build_specs(lab, tls=material.tls, credentials=material.credentials, dataplane=mode, linux=linux)
    specs_file = sdir / SPECS_FILE
    write_secret(specs_file, specs_to_json(specs, admin=ADMIN_LISTEN).encode())
    progress(f"{lab.name}: {len(specs)} switch specs and {'no ' if material.tls is None else ''}TLS material")
    state = _start_host(state, host_cmd or host_command(), timeout, progress, len(specs))
    if mode == "linux" and converge:
        _converge(lab, state, timeout, progress, started)
    progress(f"{lab.name}: up, {len(state.switches)} switches in {time.monotonic() - started:.1f} s")
    return state


def _failed(state: LabState, sdir: Path, message: str) -> LabRunError:
    """Stop every recorded process, keep the rest for a look; the error."""
    _stop_processes(state)
    write_state(dataclasses.replace(state, phase="failed"))
    return LabRunError(
        f"lab {state.lab}: {message}\n(the state directory {sdir} is kept for a look; `fabric-lab down` or "
        "the next `up` removes it)"
    )


def _linux(lab: Lab, state: LabState, progress: Progress) -> LabState:
    try:
        return bringup.bring_up(lab, state, progress)
    except BaseException as e:  # also ^C: a half-finished up leaves no process behind
        current = read_state(Path(state.state_dir)) or state
        err = _failed(current, Path(state.state_dir), f"the Linux dataplane failed: {e}")
        if isinstance(e, LabError):
            raise err from None
        raise


def _converge(lab: Lab, state: LabState, timeout: float, progress: Progress, started: float) -> None:
    from labs.dataplane.converge import wait_underlay

    progress(f"{lab.name}: waiting for the underlay (BGP sessions, LLDP neighbours; up to {timeout:.0f} s)")
    try:
        u = wait_underlay(lab, state, timeout)
    except LabRunError as e:
        raise _failed(state, Path(state.state_dir), str(e)) from None
    progress(
        f"{lab.name}: underlay converged {time.monotonic() - started:.1f} s after start: "
        f"{u.sessions} BGP sessions Established, {u.neighbours} LLDP neighbours on switch ports"
    )


def _initial_state(lab: Lab, sdir: Path, digest: str, mode: str, m: Material) -> LabState:
    switches = tuple(
        SwitchRecord(
            name=sw.name,
            address="",
            platform=sw.platform,
            role=sw.role,
            asn=sw.asn or 0,
            router_id=str(sw.router_id),
            vtep_interface=profile(sw.platform).vtep_interface,
            cert_file=str(m.cert_files[sw.name]) if sw.name in m.cert_files else None,
        )
        for sw in lab.switches()
    )
    return LabState(
        lab=lab.name,
        lab_file=str(lab.file.absolute()),
        lab_sha256=digest,
        sidecar_file=str(lab.sidecar_file.absolute()) if lab.sidecar_file else None,
        state_dir=str(sdir),
        phase="starting",
        started_at=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        dataplane=mode,
        evpn_asn=lab.sidecar.evpn_asn,
        plaintext=m.tls is None,
        client_auth=lab.sidecar.gnmi.client_auth,
        ca_file=str(m.ca_file) if m.ca_file else None,
        client_cert_file=str(m.client_cert_file) if m.client_cert_file else None,
        client_key_file=str(m.client_key_file) if m.client_key_file else None,
        username=m.credentials.username,
        password_file=str(m.password_file),
        switches=switches,
    )


def _spawn(argv: list[str], log: Path) -> int:
    try:
        return procs.spawn_detached(argv, log)
    except OSError as e:
        raise LabRunError(f"cannot start the emulator host {shlex.join(argv)}: {e.strerror}") from None


def _start_host(state: LabState, cmd: Sequence[str], timeout: float, progress: Progress, n: int) -> LabState:
    sdir = Path(state.state_dir)
    ready_file, log = sdir / READY_FILE, sdir / LOG_FILE
    argv = [*cmd, "--specs", str(sdir / SPECS_FILE), "--ready", str(ready_file)]
    pid = _spawn(argv, log)
    rec = procs.record(HOST_ROLE, pid, argv=argv) or procs.ProcessRecord(
        role=HOST_ROLE, pid=pid, start_time=-1, cmdline=tuple(argv)
    )
    before = state.processes
    state = dataclasses.replace(state, processes=(*before, rec))
    write_state(state)
    progress(f"{state.lab}: emulator host started (pid {pid}), log {log}")
    progress(f"{state.lab}: waiting for {n} switches to listen (up to {timeout:.0f} s)")
    try:
        ready = _wait_ready(rec, ready_file, timeout)
        addresses = ready.get("switches")
        addresses = addresses if isinstance(addresses, dict) else {}
        missing = [s.name for s in state.switches if s.name not in addresses]
        if missing:
            raise _HostFailed(f"READY names no address for {', '.join(missing)}")
    except BaseException as e:  # also ^C: a half-finished up leaves no process behind
        _stop_processes(state)
        write_state(dataclasses.replace(state, phase="failed"))
        if isinstance(e, _HostFailed):
            raise LabRunError(
                f"lab {state.lab}: {e}; the last lines of {log}:\n{log_tail(log)}\n"
                f"(the state directory {sdir} is kept for a look; `fabric-lab down` or the next "
                "`up` removes it)"
            ) from None
        raise
    extra = []
    if ready.get("pid") not in (None, pid):
        other = procs.record(HOST_ROLE, int(ready["pid"]))
        extra = [other] if other is not None else []
    state = dataclasses.replace(
        state,
        phase="running",
        admin=ready.get("admin"),
        processes=(*before, rec, *extra),
        switches=tuple(dataclasses.replace(s, address=str(addresses[s.name])) for s in state.switches),
    )
    write_state(state)
    return state


class _HostFailed(Exception):
    pass


def _wait_ready(rec: procs.ProcessRecord, ready_file: Path, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        code = procs.reap(rec.pid)
        ready = _read_ready(ready_file) if ready_file.exists() else None
        if ready is not None:
            if not procs.alive(rec):
                raise _HostFailed("the emulator host died right after it was ready")
            return ready
        if code is None and not procs.alive(rec):
            code = procs.exit_code(rec.pid)  # it exited between the two looks
        if code is not None or not procs.alive(rec):
            why = f"exited with code {code}" if code is not None else "is gone"
            raise _HostFailed(f"the emulator host {why} before it was ready")
        if time.monotonic() > deadline:
            raise _HostFailed(f"the emulator host was not ready within {timeout:.0f} s")
        time.sleep(0.05)


def _read_ready(path: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return None  # not written completely yet (the host should rename it into place)
    return doc if isinstance(doc, dict) else None


def _stop_processes(state: LabState) -> None:
    for rec in state.processes:
        procs.stop(rec)


def down(name: str, *, state_dir: Path | str | None = None, progress: Progress = _quiet) -> list[str]:
    """Remove lab ``name``: what its state file records (idempotent)."""
    sdir = resolve_state_dir(name, state_dir)
    if not sdir.exists():
        progress(f"{name}: not running, nothing to remove ({sdir} does not exist)")
        return []
    done = teardown(sdir)
    for what in done:
        progress(f"{name}: {what}")
    return done


def status(name: str, *, state_dir: Path | str | None = None) -> LabState | None:
    """The state of lab ``name`` if it runs, else None."""
    sdir = resolve_state_dir(name, state_dir)
    try:
        state = read_state(sdir)
    except LabStateError:
        return None
    return state if running(state) else None

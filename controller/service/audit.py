"""The fabric audit (``Audit``, ``fabricctl audit``) and its metric.

For every managed leaf: a leaf whose session is down or whose state is not
known is ``unreachable``; a held one (objects of fabricd the store has no
record of: nothing is changed on it) is ``held``, and its configuration,
like every other leaf's, is compared with the intent the way every
reconcile pass does (:meth:`SwitchWorker.findings`:
:func:`models.render.render_keys` and :func:`models.render.plan_keys`, on what
the worker last read or committed, kept current by the drift watch), and
every VNI's operational state with the other leaves'
(:func:`models.audit.forwarding_findings`).

The daemon keeps the last audit (:class:`Auditor`) for the gauge
``fabric_audit_findings{kind,switch}``: recomputed after the changes workers
report (session, commits, operational state, intent) once the fleet has been
quiet for ``SETTLE_S``, or ``MAX_DEFER_S`` after the first change when the
changes do not stop, and never more than 1/:data:`DUTY` of the time. An audit
of a large fabric renders every leaf and holds the event loop while it does:
run in the middle of a burst (a Deployment scaled up, 128 pods on a leaf), it
delayed every attach of the burst by its whole length, for findings about a
state that was about to change.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from controller.backoff import Duty
from controller.reconcile.readiness import leaf_views
from controller.reconcile.status import SessionState
from controller.service.context import Context
from models.audit import Finding, count, forwarding_findings
from models.errors import Problem, ValidationError

SETTLE_S = 0.2
#: under changes that never pause, an audit still runs this long after the first of them
MAX_DEFER_S = 2.0
#: after an audit, wait at least this many times its cost
DUTY = 10.0
#: findings one Audit answer lists (the rest are counted)
MAX_FINDINGS = 10_000


def audit(ctx: Context, switches: Iterable[str] = ()) -> tuple[list[Finding], list[str]]:
    """Findings and the switches audited (all managed leaves, or those named)."""
    wanted = set(switches)
    unknown = sorted(n for n in wanted if n not in ctx.fleet)
    if unknown:
        raise ValidationError([Problem("switches", n, "is not a managed leaf") for n in unknown])
    workers = list(ctx.fleet)
    names: list[str] = [w.name for w in workers if not wanted or w.name in wanted]
    findings: list[Finding] = []
    for w in workers:
        if w.name not in names:
            continue
        st = w.status()
        if st.session is not SessionState.CONNECTED or not st.known:
            why = st.last_error or f"session {st.session.value}"
            findings.append(Finding(kind="unreachable", switch=w.name, detail=f"{w.name}: {why}"))
            continue
        held = w.held()
        if held:
            findings.append(Finding(kind="held", switch=w.name, detail=held))
        findings += w.findings()
    findings += [f for f in forwarding_findings(leaf_views(workers, ctx.state)) if f.switch in names]
    return sorted(findings), names


class Auditor:
    """The last audit, kept current (woken by the fleet's pulse)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self.findings: list[Finding] = []
        self.counts: dict[tuple[str, str], int] = {}
        self.runs = 0

    def refresh(self) -> None:
        self.findings, _ = audit(self._ctx)
        self.counts = count(self.findings)
        self.runs += 1

    async def run(self) -> None:
        fleet, duty = self._ctx.fleet, Duty(DUTY)
        while True:
            t0 = time.monotonic()
            self.refresh()
            duty.ran(t0, time.monotonic())
            await fleet.pulse.wait()
            first = time.monotonic()
            while True:  # a burst of changes: one audit, after it
                seen = fleet.generation
                await asyncio.sleep(max(SETTLE_S, duty.wait()))
                if fleet.generation == seen or time.monotonic() - first >= MAX_DEFER_S:
                    break

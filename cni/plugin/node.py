"""What concerns the node rather than one pod: GC, STATUS, and the Detach
calls owed to fabricd.

**DEL while fabricd is down** succeeds: the pod side and the sub-interface
go at once, and the Detach is written to the node's state
(``pendingDetach``). The next run on that node that reaches the same
fabricd (ADD, DEL, GC or STATUS; runtimes call STATUS every few seconds)
sends it, holding the node's lock so that a new ADD of the same pod
interface cannot be overtaken; an ADD of the same pod interface drops what
was owed for it. GC is the backstop: fabricd removes every attachment of
the node on the network that the runtime no longer lists.
"""

from __future__ import annotations

import time

from cni.plugin.context import Run, vlan_error
from cni.plugin.controller import AttachmentRef
from cni.plugin.errors import NOT_AVAILABLE, NOT_AVAILABLE_LIMITED, CniError
from cni.plugin.records import PendingDetach
from cni.vlan.client import TaggerVlanBackend
from cni.vlan.errors import VlanError

FLUSH_MAX = 16  # Detach calls per run
FLUSH_TIMEOUT_S = 2.0


def owe_detach(run: Run, ref: AttachmentRef, container_id: str) -> None:
    with run.store.locked() as st:
        st.pending.append(
            PendingDetach(
                controller=run.conf.controller,
                pod_namespace=ref.pod_namespace,
                pod_name=ref.pod_name,
                pod_uid=ref.pod_uid,
                network=ref.network,
                ifname=ref.ifname,
                container_id=container_id,
                since=time.time(),
            )
        )


def flush_pending(run: Run) -> int:
    """Send the Detach calls owed to this run's fabricd; how many went."""
    if not any(p.controller == run.conf.controller for p in run.store.read().pending):
        return 0
    sent = 0
    with run.store.locked() as st:
        keep = []
        for p in st.pending:
            if p.controller != run.conf.controller or sent >= FLUSH_MAX:
                keep.append(p)
                continue
            ref = AttachmentRef(
                pod_namespace=p.pod_namespace,
                pod_name=p.pod_name,
                pod_uid=p.pod_uid,
                network=p.network,
                ifname=p.ifname,
            )
            try:
                run.controller().detach(ref, container_id=p.container_id, timeout=FLUSH_TIMEOUT_S)
            except CniError as e:
                if e.temporary:
                    keep.append(p)
                    continue
                run.notes.append(f"owed Detach of {ref} given up: {e.msg}")
            sent += 1
        st.pending = keep
    if sent:
        run.notes.append(f"sent {sent} owed Detach call(s)")
    return sent


def gc(run: Run) -> None:
    """Remove this network's pod interfaces the runtime no longer lists,
    here and at fabricd. Everything possible is done; the first error is
    answered."""
    from cni.plugin import pod

    conf = run.conf
    valid = set(conf.valid_attachments or ())
    errors: list[CniError] = []
    stale = [
        r
        for r in run.store.read().attachments.values()
        if r.network == conf.name and (r.container_id, r.ifname) not in valid
    ]
    for rec in stale:
        try:
            pod.pod_side_down(run, rec, rec.netns)
            pod.forget(run, rec)
            run.notes.append(f"removed {rec.key}")
        except CniError as e:
            errors.append(e)
    try:
        removed = run.controller().garbage_collect(node=run.node, network=conf.network, valid=sorted(valid))
        run.notes.append(f"fabricd removed {len(removed)}")
        with run.store.locked() as st:
            st.pending = [
                p for p in st.pending if not (p.network == conf.network and (p.container_id, p.ifname) not in valid)
            ]
        flush_pending(run)
    except CniError as e:
        errors.append(e)
    if errors:
        raise errors[0]


def status(run: Run) -> None:
    """OK when fabricd serves and the VLAN backend answers; else 50, or 51
    when pods of this node were on a VLAN backend that is gone."""
    ok, why = run.controller().serving()
    problems = [] if ok else [why]
    backend_problem = _backend_problem(run)
    code = NOT_AVAILABLE
    if backend_problem is not None:
        problems.append(backend_problem)
        if run.store.read().vlans:
            code = NOT_AVAILABLE_LIMITED
            problems.append("existing pods of this node lost their VLAN sub-interfaces")
    if problems:
        raise CniError(code, "; ".join(problems))
    flush_pending(run)


def _backend_problem(run: Run) -> str | None:
    try:
        backend = run.backend()
        if isinstance(backend, TaggerVlanBackend):
            backend.ping()
    except VlanError as e:
        return vlan_error(e).msg
    except CniError as e:
        return e.msg
    return None

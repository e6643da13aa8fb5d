"""The Detach calls owed to fabricd.

**DEL while fabricd is down** succeeds: the pod side and the sub-interface
go at once, and the Detach is written to the node's records
(``pendingDetach``). The next run on that node that reaches the same
fabricd (ADD, DEL, GC or STATUS; runtimes call STATUS every few seconds)
sends it, holding the node's lock so that a new ADD of the same pod
interface cannot be overtaken; an ADD of the same pod interface drops what
was owed for it. GC is the backstop: fabricd removes every attachment of
the node on the network (and CNI network name) that the runtime no longer
lists.

A run sends owed calls for at most :data:`FLUSH_BUDGET_S` seconds, each
call bounded by what is left of it: far inside the node lock's timeout
(``records.LOCK_TIMEOUT_S``), so a slow fabricd never makes the node's
other runs fail with "locked". What is not sent stays owed for the next run.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from cni.plugin.config import NetRef
from cni.plugin.context import Run
from cni.plugin.controller import AttachmentRef
from cni.plugin.errors import CniError
from cni.plugin.records import PendingDetach

FLUSH_MAX = 16  # Detach calls per run
FLUSH_TIMEOUT_S = 2.0  # one call
FLUSH_BUDGET_S = 10.0  # every call of one run together
FLUSH_MIN_CALL_S = 0.25  # less left than this: the rest waits for the next run


def owe_detach(run: Run, ref: AttachmentRef, container_id: str, *, vni: int = 0) -> None:
    with run.store.locked() as st:
        st.pending.append(
            PendingDetach(
                controller=run.node_conf.controller,
                pod_namespace=ref.pod_namespace,
                pod_name=ref.pod_name,
                pod_uid=ref.pod_uid,
                network="" if ref.network.by_vni else str(ref.network),
                vni=ref.network.vni or vni,
                cni_network=run.conf.name,
                ifname=ref.ifname,
                container_id=container_id,
                since=time.time(),
            )
        )


def _ref(p: PendingDetach) -> AttachmentRef:
    network = NetRef.parse(p.network) if p.network else NetRef(vni=p.vni)
    return AttachmentRef(
        pod_namespace=p.pod_namespace, pod_name=p.pod_name, pod_uid=p.pod_uid, network=network, ifname=p.ifname
    )


def flush_pending(run: Run, *, budget: float = FLUSH_BUDGET_S, clock: Callable[[], float] = time.monotonic) -> int:
    """Send the Detach calls owed to this run's fabricd, for at most
    ``budget`` seconds; how many went."""
    controller = run.node_conf.controller
    if not any(p.controller == controller for p in run.store.read().pending):
        return 0
    sent = 0
    with run.store.locked() as st:
        deadline = clock() + budget
        keep = []
        for p in st.pending:
            left = deadline - clock()
            if p.controller != controller or sent >= FLUSH_MAX or left < FLUSH_MIN_CALL_S:
                keep.append(p)
                continue
            ref = _ref(p)
            try:
                run.controller().detach(ref, container_id=p.container_id, timeout=min(FLUSH_TIMEOUT_S, left))
            except CniError as e:
                if e.temporary:
                    keep.append(p)
                    continue
                run.notes.append(f"owed Detach of {ref} given up: {e.msg}")
            sent += 1
        st.pending = keep
    if sent:
        run.notes.append(f"sent {sent} owed Detach call(s)")
    still = sum(p.controller == controller for p in keep)
    if still:
        run.notes.append(f"{still} Detach call(s) still owed")
    return sent

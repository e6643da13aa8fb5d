"""What concerns the node rather than one pod: GC and STATUS.

GC takes down the pod interfaces of its CNI network (the config's name) that
the runtime no longer lists, with the same steps as DEL (:mod:`.iface`), and
lets fabricd remove their attachments, scoped the same way (fabricd's
GarbageCollect with ``cni_network``): two NADs of one fabric network never
collect each other's pods;
STATUS asks fabricd and the VLAN backend. Both send the Detach calls owed
to fabricd (:mod:`.owed`).
"""

from __future__ import annotations

from cni.plugin import iface, owed
from cni.plugin.config import NetConf
from cni.plugin.context import Run, vlan_error
from cni.plugin.errors import NOT_AVAILABLE, NOT_AVAILABLE_LIMITED, CniError
from cni.plugin.records import PendingDetach
from cni.vlan.client import TaggerVlanBackend
from cni.vlan.errors import VlanError


def gc(run: Run) -> None:
    """Remove this network's pod interfaces the runtime no longer lists,
    here and at fabricd. Everything possible is done; the first error is
    answered."""
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
            iface.pod_side_down(run, rec, rec.netns)
            iface.forget(run, rec)
            run.notes.append(f"removed {rec.key}")
        except CniError as e:
            errors.append(e)
    try:
        removed = run.controller().garbage_collect(
            node=run.node, network=conf.network, cni_network=conf.name, valid=sorted(valid)
        )
        run.notes.append(f"fabricd removed {len(removed)}")
        with run.store.locked() as st:  # what fabricd's GC removed is owed no more
            st.pending = [
                p for p in st.pending if not (_collected(p, conf) and (p.container_id, p.ifname) not in valid)
            ]
        owed.flush_pending(run)
    except CniError as e:
        errors.append(e)
    if errors:
        raise errors[0]


def _collected(p: PendingDetach, conf: NetConf) -> bool:
    """Whether fabricd's GC for this CNI network covers an owed Detach
    (entries of older versions carry no CNI network name: their network decides)."""
    if p.cni_network:
        return p.cni_network == conf.name
    return not conf.network.by_vni and p.network == str(conf.network)


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
    owed.flush_pending(run)


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

"""ADD, DEL and CHECK of one pod interface.

ADD: Attach at fabricd (it answers the VLAN once the leaf committed), the
shared VLAN sub-interface of the uplink (ensured with its first user), then
a macvlan in bridge mode on it, in the pod, by the real macvlan plugin
(which runs the IPAM plugin). DEL undoes that in reverse: the pod side, the
sub-interface with its last user, then Detach; when fabricd cannot be
reached the Detach is owed (:mod:`.owed`). CHECK asks fabricd, the local
records, the sub-interface and the macvlan plugin. The two parts of a pod
interface, and how each is taken down, are :mod:`.iface` (GC uses it too).
"""

from __future__ import annotations

from typing import Any

from cni.plugin import delegate, iface, owed, versions
from cni.plugin.config import NetRef
from cni.plugin.context import Run, vlan_error
from cni.plugin.controller import AttachmentRef
from cni.plugin.errors import CHECK_FAILED, CONTROLLER_REFUSED, DELEGATE_FAILED, INVALID_CONFIG, CniError
from cni.plugin.records import Record, record_key
from cni.vlan.errors import VlanError


def _ref(rec: Record) -> AttachmentRef:
    return AttachmentRef(
        pod_namespace=rec.pod_namespace,
        pod_name=rec.pod_name,
        pod_uid=rec.pod_uid,
        network=NetRef.parse(rec.fabric_network),
        ifname=rec.ifname,
    )


# --------------------------------------------------------------------- ADD


def add(run: Run) -> dict[str, Any]:
    env, conf = run.env, run.conf
    pod = env.pod
    assert pod is not None  # parse_env insists for ADD
    uplink = run.uplink  # the NAD's, the pod's cni-args or the node's default
    ref = AttachmentRef.of(pod, conf.network, env.ifname)
    key = record_key(conf.name, env.container_id, env.ifname)
    exe = delegate.find(iface.POD_PLUGIN, env.path)  # before anything changes
    version = delegate.version_for(exe, run.node_conf.state_dir)
    net = conf.network
    with run.store.locked() as st:
        st.drop_pending(pod_uid=pod.uid, ifname=env.ifname, network="" if net.by_vni else str(net), vni=net.vni)
        earlier = st.attachments.get(key)
    attached = run.controller().attach(
        ref,
        container_id=env.container_id,
        node=run.node,
        nic=uplink,
        cni_network=conf.name,
        timeout=run.node_conf.attach_timeout,
    )
    ref = ref._replace(network=attached.network)  # a VNI reference, as fabricd resolved it
    run.notes.append(
        f"vlan {attached.vlan} on {attached.switch}/{attached.port} ({attached.network}, vni {attached.vni})"
    )
    if earlier is not None:
        if _still_good(run, exe, earlier, attached.vlan, version):
            run.notes.append("ADD again: the interface is there")
            return _output(run, earlier.result or {})
        iface.pod_side_down(run, earlier, earlier.netns)
        iface.forget(run, earlier)
    try:
        backend = run.backend()
        rec = iface.take_subif(run, key, attached, backend, version)
    except VlanError as e:
        _forget_attach(run, ref, vni=attached.vni)
        raise vlan_error(e) from None
    except CniError:
        _forget_attach(run, ref, vni=attached.vni)
        raise
    result = None
    try:
        result = iface.invoke(run, exe, "ADD", rec.delegate, rec, netns=env.netns)
        assert result is not None
        out = _output(run, result)  # a result the config's version cannot say is refused here, and undone
    except BaseException:
        _undo(run, rec, ref, pod_side=result is not None)
        raise
    with run.store.locked() as st:
        st.attachments[key] = rec._replace(result=result)
    owed.flush_pending(run)
    return out


def _undo(run: Run, rec: Record, ref: AttachmentRef, *, pod_side: bool) -> None:
    """After a failed ADD: the pod side (when the delegate made it), the
    sub-interface's user, the Attach. The ADD's own error is the one to answer."""
    if pod_side:
        try:
            iface.pod_side_down(run, rec, run.env.netns)
        except CniError as e:
            run.notes.append(f"could not undo the pod side: {e.msg}")
    try:
        iface.forget(run, rec)
    except CniError as e:
        run.notes.append(f"could not undo the sub-interface: {e.msg}")
    _forget_attach(run, ref, vni=rec.vni)


def _output(run: Run, result: dict[str, Any]) -> dict[str, Any]:
    version = run.conf.cni_version
    try:
        return versions.result_for(versions.chain(run.conf.prev_result, result), version)
    except versions.NoAddress as e:
        raise CniError(
            INVALID_CONFIG, f"cniVersion {version}: {e}: use an IPAM that gives one, or cniVersion 0.3.0 or later"
        ) from None


def _still_good(run: Run, exe: str, rec: Record, vlan: int, version: str) -> bool:
    """A repeated ADD: is the earlier interface there, on that VLAN?"""
    env = run.env
    if rec.result is None or rec.vlan != vlan or rec.uplink != run.uplink or rec.netns != env.netns:
        return False
    try:
        check = iface.with_prev(rec.delegate, rec.result, version)
        iface.invoke(run, exe, "CHECK", check, rec, netns=env.netns)
    except CniError:
        return False
    return True


def _forget_attach(run: Run, ref: AttachmentRef, *, vni: int) -> None:
    """Undo our Attach after a failed ADD (best effort: a DEL follows anyway)."""
    try:
        run.controller().detach(ref, container_id=run.env.container_id, timeout=5.0)
    except CniError as e:
        run.notes.append(f"could not undo the Attach: {e.msg}")
        if e.temporary:
            owed.owe_detach(run, ref, run.env.container_id, vni=vni)


# --------------------------------------------------------------------- DEL


def delete(run: Run) -> None:
    env, conf = run.env, run.conf
    key = record_key(conf.name, env.container_id, env.ifname)
    rec = run.store.read().attachments.get(key)
    if rec is not None:
        iface.pod_side_down(run, rec, env.netns or rec.netns)
        iface.forget(run, rec)
        ref: AttachmentRef | None = _ref(rec)
    else:
        pod = env.pod
        ref = AttachmentRef.of(pod, conf.network, env.ifname) if pod else None  # a VNI: fabricd resolves it again
        run.notes.append("nothing of it on this node")
    if ref is None:
        run.notes.append("no pod identity in CNI_ARGS: no Detach")
        return
    try:
        removed = run.controller().detach(ref, container_id=env.container_id, timeout=5.0)
    except CniError as e:
        if rec is None and ref.network.by_vni and e.status == "FAILED_PRECONDITION":
            run.notes.append(f"fabricd has no network of {ref.network} for this pod: nothing to detach")
            return
        if not e.temporary:
            raise
        owed.owe_detach(run, ref, env.container_id, vni=rec.vni if rec else 0)
        run.notes.append(f"Detach owed: {e.msg}")
        return
    run.notes.append("detached" if removed else "fabricd had nothing for this container")
    owed.flush_pending(run)


# ------------------------------------------------------------------- CHECK


def check(run: Run) -> None:
    env, conf = run.env, run.conf
    key = record_key(conf.name, env.container_id, env.ifname)
    rec = run.store.read().attachments.get(key)
    where = f"{env.ifname} of container {env.container_id} on network {conf.name}"
    if rec is None:
        raise CniError(CHECK_FAILED, f"{where}: node {run.node} has no record of it (ADD never ran here?)")
    if rec.result is None:
        raise CniError(CHECK_FAILED, f"{where}: its ADD did not finish")
    try:
        attached = run.controller().check(_ref(rec), container_id=env.container_id)
    except CniError as e:
        if e.code == CONTROLLER_REFUSED:
            raise CniError(CHECK_FAILED, f"{where}: {e.msg}") from None
        raise
    if attached.vlan != rec.vlan:
        raise CniError(CHECK_FAILED, f"{where}: fabricd says VLAN {attached.vlan}, the pod is on VLAN {rec.vlan}")
    if not iface.link_exists(rec.subif):
        raise CniError(CHECK_FAILED, f"{where}: its VLAN sub-interface {rec.subif} is gone (VLAN backend restarted?)")
    exe = delegate.find(iface.POD_PLUGIN, env.path)
    dconf = iface.with_prev(rec.delegate, rec.result, delegate.version_for(exe, run.node_conf.state_dir))
    try:
        iface.invoke(run, exe, "CHECK", dconf, rec, netns=env.netns)
    except CniError as e:
        if e.code == DELEGATE_FAILED:
            raise CniError(CHECK_FAILED, f"{where}: {e.msg}") from None
        raise

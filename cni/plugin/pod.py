"""ADD, DEL and CHECK of one pod interface.

ADD: Attach at fabricd (it answers the VLAN once the leaf committed), the
shared VLAN sub-interface of the uplink (ensured with its first user), then
a macvlan in bridge mode on it, in the pod, by the real macvlan plugin
(which runs the IPAM plugin). DEL undoes that in reverse: the pod side, the
sub-interface with its last user, then Detach; when fabricd cannot be
reached the Detach is owed (cni.plugin.node). CHECK asks fabricd, the local state,
the sub-interface and the macvlan plugin.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from cni.plugin import delegate, node, versions
from cni.plugin.context import Run, vlan_error
from cni.plugin.controller import AttachmentRef
from cni.plugin.errors import CHECK_FAILED, CONTROLLER_REFUSED, DELEGATE_FAILED, CniError
from cni.plugin.records import Record, record_key
from cni.vlan import netlink
from cni.vlan.backend import VlanBackend
from cni.vlan.errors import VlanError

POD_PLUGIN = "macvlan"


def delegate_conf(run: Run, version: str, master: str) -> dict[str, Any]:
    """What the macvlan plugin gets: our config down-converted to a version
    it speaks, with the sub-interface as master; IPAM, ``runtimeConfig``
    (ips, mac) and ``args`` passed through."""
    conf = run.conf
    d: dict[str, Any] = {"cniVersion": version, "name": conf.name, "type": POD_PLUGIN, "master": master}
    d["mode"] = "bridge"
    if conf.mtu:
        d["mtu"] = conf.mtu
    if conf.ipam is not None:
        d["ipam"] = dict(conf.ipam)
    if conf.runtime_config:
        d["runtimeConfig"] = dict(conf.runtime_config)
    if conf.args:
        d["args"] = dict(conf.args)
    return d


def _ref(rec: Record) -> AttachmentRef:
    return AttachmentRef(
        pod_namespace=rec.pod_namespace,
        pod_name=rec.pod_name,
        pod_uid=rec.pod_uid,
        network=rec.fabric_network,
        ifname=rec.ifname,
    )


def _invoke(
    run: Run, exe: str, command: str, conf: dict[str, Any], rec: Record, *, netns: str
) -> dict[str, Any] | None:
    return delegate.invoke(
        exe,
        command,
        conf,
        container_id=rec.container_id,
        netns=netns,
        ifname=rec.ifname,
        cni_args=run.env.args_text,
        path=run.env.path,
    )


# --------------------------------------------------------------------- ADD


def add(run: Run) -> dict[str, Any]:
    env, conf = run.env, run.conf
    pod = env.pod
    assert pod is not None  # parse_env insists for ADD
    ref = AttachmentRef.of(pod, conf.network, env.ifname)
    key = record_key(conf.name, env.container_id, env.ifname)
    exe = delegate.find(POD_PLUGIN, env.path)  # before anything changes
    version = delegate.version_for(exe)
    with run.store.locked() as st:
        st.drop_pending(pod_uid=pod.uid, network=conf.network, ifname=env.ifname)
        earlier = st.attachments.get(key)
    attached = run.controller().attach(
        ref, container_id=env.container_id, node=run.node, nic=conf.uplink, timeout=conf.attach_timeout
    )
    run.notes.append(f"vlan {attached.vlan} on {attached.switch}/{attached.port} (vni {attached.vni})")
    if earlier is not None:
        if _still_good(run, exe, earlier, attached.vlan, version):
            run.notes.append("ADD again: the interface is there")
            return _output(run, earlier.result or {})
        pod_side_down(run, earlier, earlier.netns)
        forget(run, earlier)
    try:
        backend = run.backend()
        rec = _record(run, key, attached.vlan, backend, version)
    except VlanError as e:
        _forget_attach(run, ref)
        raise vlan_error(e) from None
    except CniError:
        _forget_attach(run, ref)
        raise
    try:
        result = _invoke(run, exe, "ADD", rec.delegate, rec, netns=env.netns)
        assert result is not None
    except BaseException:
        try:
            forget(run, rec)
        except CniError as e:  # the ADD's own error is the one to answer
            run.notes.append(f"could not undo the sub-interface: {e.msg}")
        _forget_attach(run, ref)
        raise
    with run.store.locked() as st:
        st.attachments[key] = dataclasses.replace(rec, result=result)
    node.flush_pending(run)
    return _output(run, result)


def _record(run: Run, key: str, vlan: int, backend: VlanBackend, version: str) -> Record:
    """Under the node's lock: the sub-interface (ensured), this interface
    counted among its users, the record of the ADD in progress."""
    env, conf = run.env, run.conf
    pod = env.pod
    assert pod is not None
    with run.store.locked() as st:
        subif = backend.ensure(conf.uplink, vlan)
        rec = Record(
            key=key,
            network=conf.name,
            fabric_network=conf.network,
            container_id=env.container_id,
            ifname=env.ifname,
            netns=env.netns,
            pod_namespace=pod.namespace,
            pod_name=pod.name,
            pod_uid=pod.uid,
            uplink=conf.uplink,
            vlan=vlan,
            subif=subif,
            backend=backend.name,
            controller=conf.controller,
            delegate=delegate_conf(run, version, subif),
            created=time.time(),
        )
        st.add_user(parent=conf.uplink, vlan=vlan, ifname=subif, backend=backend.name, key=key)
        st.attachments[key] = rec
    return rec


def _output(run: Run, result: dict[str, Any]) -> dict[str, Any]:
    return versions.result_for(versions.chain(run.conf.prev_result, result), run.conf.cni_version)


def _still_good(run: Run, exe: str, rec: Record, vlan: int, version: str) -> bool:
    """A repeated ADD: is the earlier interface there, on that VLAN?"""
    env = run.env
    if rec.result is None or rec.vlan != vlan or rec.uplink != run.conf.uplink or rec.netns != env.netns:
        return False
    try:
        check = _with_prev(rec.delegate, rec.result, version)
        _invoke(run, exe, "CHECK", check, rec, netns=env.netns)
    except CniError:
        return False
    return True


def _with_prev(dconf: dict[str, Any], result: dict[str, Any] | None, version: str) -> dict[str, Any]:
    out = {**dconf, "cniVersion": version}
    if result is not None:
        out["prevResult"] = versions.result_for(result, version)
    return out


def _forget_attach(run: Run, ref: AttachmentRef) -> None:
    """Undo our Attach after a failed ADD (best effort: a DEL follows anyway)."""
    try:
        run.controller().detach(ref, container_id=run.env.container_id, timeout=5.0)
    except CniError as e:
        run.notes.append(f"could not undo the Attach: {e.msg}")
        if e.temporary:
            node.owe_detach(run, ref, run.env.container_id)


def forget(run: Run, rec: Record) -> None:
    """Forget a record and release its sub-interface with its last user
    (a sub-interface that is gone already counts as released)."""
    with run.store.locked() as st:
        st.attachments.pop(rec.key, None)
        last = st.drop_user(parent=rec.uplink, vlan=rec.vlan, key=rec.key)
        if last is None:
            return
        try:
            run.backend_named(last.backend).release(last.parent, last.vlan)
        except (VlanError, CniError) as e:
            err = vlan_error(e) if isinstance(e, VlanError) else e
            if _link_exists(last.ifname):
                raise err from None
            # a tagger that died took its taps along: nothing is left to release
            run.notes.append(f"{last.ifname} was gone already ({err.msg})")
            return
        run.notes.append(f"released {last.ifname}")


# --------------------------------------------------------------------- DEL


def pod_side_down(run: Run, rec: Record, netns: str) -> None:
    """DEL of the macvlan (and its IPAM). When the sub-interface is gone
    (its tagger restarted), the kernel took the macvlan with it and the
    macvlan plugin cannot load its config: then only IPAM is released."""
    exe = delegate.find(POD_PLUGIN, run.env.path)
    dconf = rec.delegate or delegate_conf(run, "1.0.0", rec.subif)
    try:
        _invoke(run, exe, "DEL", _with_prev(dconf, rec.result, delegate.version_for(exe)), rec, netns=netns)
    except CniError:
        if _link_exists(rec.subif):
            raise
        run.notes.append(f"{rec.subif} is gone: released IPAM only")
        ipam = dconf.get("ipam")
        if isinstance(ipam, dict) and isinstance(ipam.get("type"), str):
            ipam_exe = delegate.find(ipam["type"], run.env.path)
            conf = _with_prev(dconf, rec.result, delegate.version_for(ipam_exe))
            _invoke(run, ipam_exe, "DEL", conf, rec, netns=netns)


def _link_exists(name: str) -> bool:
    try:
        with netlink.Rtnl() as nl:
            return nl.get_link(name) is not None
    except OSError:
        return True  # cannot tell: do not pretend it is gone


def delete(run: Run) -> None:
    env, conf = run.env, run.conf
    key = record_key(conf.name, env.container_id, env.ifname)
    rec = run.store.read().attachments.get(key)
    if rec is not None:
        pod_side_down(run, rec, env.netns or rec.netns)
        forget(run, rec)
        ref: AttachmentRef | None = _ref(rec)
    else:
        pod = env.pod
        ref = AttachmentRef.of(pod, conf.network, env.ifname) if pod else None
        run.notes.append("nothing of it on this node")
    if ref is None:
        run.notes.append("no pod identity in CNI_ARGS: no Detach")
        return
    try:
        removed = run.controller().detach(ref, container_id=env.container_id, timeout=5.0)
    except CniError as e:
        if not e.temporary:
            raise
        node.owe_detach(run, ref, env.container_id)
        run.notes.append(f"Detach owed: {e.msg}")
        return
    run.notes.append("detached" if removed else "fabricd had nothing for this container")
    node.flush_pending(run)


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
    if not _link_exists(rec.subif):
        raise CniError(CHECK_FAILED, f"{where}: its VLAN sub-interface {rec.subif} is gone (VLAN backend restarted?)")
    exe = delegate.find(POD_PLUGIN, env.path)
    try:
        _invoke(
            run, exe, "CHECK", _with_prev(rec.delegate, rec.result, delegate.version_for(exe)), rec, netns=env.netns
        )
    except CniError as e:
        if e.code == DELEGATE_FAILED:
            raise CniError(CHECK_FAILED, f"{where}: {e.msg}") from None
        raise

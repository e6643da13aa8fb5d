"""One pod interface on this node, in its two parts: the pod side (the
macvlan plugin, which runs IPAM, as our delegate) and its use of the
uplink's shared VLAN sub-interface (ensured with its first user, released
with its last, counted in the node's records under its lock).

ADD puts them up (:mod:`.pod`); DEL (:mod:`.pod`) and GC (:mod:`.node`)
take them down with :func:`pod_side_down` and :func:`forget`.
"""

from __future__ import annotations

import time
from typing import Any

from cni.plugin import delegate, versions
from cni.plugin.api import Attached
from cni.plugin.context import Run, vlan_error
from cni.plugin.errors import CniError
from cni.plugin.records import Record
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


def invoke(run: Run, exe: str, command: str, conf: dict[str, Any], rec: Record, *, netns: str) -> dict[str, Any] | None:
    """Run a delegate for ``rec``'s pod interface as the runtime ran us."""
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


def with_prev(dconf: dict[str, Any], result: dict[str, Any] | None, version: str) -> dict[str, Any]:
    """A delegate's config in ``version`` with the earlier result as ``prevResult``."""
    out = {**dconf, "cniVersion": version}
    if result is not None:
        out["prevResult"] = versions.result_for(result, version)
    return out


def take_subif(run: Run, key: str, attached: Attached, backend: VlanBackend, version: str) -> Record:
    """Under the node's lock: the sub-interface (ensured), this interface
    counted among its users, the record of the ADD in progress (with the
    network as fabricd resolved it, so DEL, CHECK and GC need no VNI lookup)."""
    env, conf = run.env, run.conf
    pod = env.pod
    assert pod is not None
    uplink, vlan = run.uplink, attached.vlan
    with run.store.locked() as st:
        subif = backend.ensure(uplink, vlan)
        rec = Record(
            key=key,
            network=conf.name,
            fabric_network=str(attached.network),
            vni=attached.vni,
            container_id=env.container_id,
            ifname=env.ifname,
            netns=env.netns,
            pod_namespace=pod.namespace,
            pod_name=pod.name,
            pod_uid=pod.uid,
            uplink=uplink,
            vlan=vlan,
            subif=subif,
            backend=backend.name,
            controller=run.node_conf.controller,
            delegate=delegate_conf(run, version, subif),
            created=time.time(),
        )
        st.add_user(parent=uplink, vlan=vlan, ifname=subif, backend=backend.name, key=key)
        st.attachments[key] = rec
    return rec


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
            if link_exists(last.ifname):
                raise err from None
            # a tagger that died took its taps along: nothing is left to release
            run.notes.append(f"{last.ifname} was gone already ({err.msg})")
            return
        run.notes.append(f"released {last.ifname}")


def pod_side_down(run: Run, rec: Record, netns: str) -> None:
    """DEL of the macvlan (and its IPAM). When the sub-interface is gone
    (its tagger restarted), the kernel took the macvlan with it and the
    macvlan plugin cannot load its config: then only IPAM is released."""
    exe = delegate.find(POD_PLUGIN, run.env.path)
    dconf = rec.delegate or delegate_conf(run, "1.0.0", rec.subif)
    try:
        invoke(
            run,
            exe,
            "DEL",
            with_prev(dconf, rec.result, delegate.version_for(exe, run.node_conf.state_dir)),
            rec,
            netns=netns,
        )
    except CniError:
        if link_exists(rec.subif):
            raise
        run.notes.append(f"{rec.subif} is gone: released IPAM only")
        ipam = dconf.get("ipam")
        if isinstance(ipam, dict) and isinstance(ipam.get("type"), str):
            ipam_exe = delegate.find(ipam["type"], run.env.path)
            conf = with_prev(dconf, rec.result, delegate.version_for(ipam_exe, run.node_conf.state_dir))
            invoke(run, ipam_exe, "DEL", conf, rec, netns=netns)


def link_exists(name: str) -> bool:
    """Whether interface ``name`` exists in this network namespace."""
    try:
        with netlink.Rtnl() as nl:
            return nl.get_link(name) is not None
    except OSError:
        return True  # cannot tell: do not pretend it is gone

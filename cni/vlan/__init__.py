"""The VLAN port seam: "VLAN V of interface P" as an untagged Linux interface
(``docs/vlan-backend.md``).

* :mod:`.backend` - the seam: the :class:`~cni.vlan.backend.VlanBackend`
  protocol and :func:`~cni.vlan.backend.backend_for`;
* :mod:`.kernel` - the kernel's 802.1Q sub-interfaces over netlink
  (:mod:`.netlink`);
* :mod:`.client` - the client of the userspace tagger; :mod:`.protocol` -
  the tagger's wire protocol, both ends;
* :mod:`.names` - the interface naming rule and request checks;
  :mod:`.errors` - the one error tree;
* :mod:`.tagger` - the userspace 802.1Q tagger process
  (``python -m cni.vlan.tagger``), for kernels without 802.1Q.

Used by the CNI plugin (:mod:`cni.plugin`) and by the lab (its leaves'
ports and its nodes' VLANs); it imports neither. Lean: the backends and the
protocol use only the standard library (the tagger process, asyncio, is
never imported by them).
"""

"""fabric-cni and the VLAN port seam it stands on.

* :mod:`cni.plugin` - the CNI plugin ``fabric-cni``: asks fabricd for the
  VLAN of a pod's network on the node's uplink and puts the pod on it;
* :mod:`cni.vlan` - "VLAN V of interface P" as an untagged Linux interface:
  the kernel's 802.1Q or the userspace tagger (its client, wire protocol and
  the tagger process itself). The lab uses it too; it never imports the
  plugin.

Nothing of fabricd's but the API's generated stubs (``proto``) is imported:
the plugin ships to nodes on its own.
"""

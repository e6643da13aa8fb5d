"""The emulator's Linux dataplane (``dataplane: linux``): the emulator host
runs in the root namespace and acts on each switch's network namespace.

* :mod:`.overlay` - what the running config asks of Linux (pure);
* :mod:`.kernel` - bridges, VXLAN devices, VLAN members: plan (pure) and
  its execution with ``ip -n NS``;
* :mod:`.frrvni` - the MAC-VRFs' RD and route targets in FRR: plan (pure)
  and ``vtysh``;
* :mod:`.vlanports` - VLAN ``L`` of a trunk port as an interface in the
  switch namespace (the VLAN backend seam, ``cni.vlan``);
* :mod:`.lldpmap` - lldpd's neighbours as OpenConfig state (pure);
* :mod:`.dataplane` - :class:`LinuxDataplane`, the ``Dataplane`` of
  :mod:`labs.emulator.dataplane`.
"""

"""The emulator's ``srlinux`` profile: a Nokia SR Linux 25.3 leaf or spine
for fabricd's service, at the native paths (docs/emulator.md, "Profile
srlinux").

* :mod:`.schema` - the native configuration accepted, as data (types,
  ranges, patterns of Nokia's 25.3.1 models);
* :mod:`.rules` - what the box refuses at commit: the models' musts as the
  box means them, and what the YANG does not say;
* :mod:`.state` - LLDP, interface state and moving counters at the native paths;
* :mod:`.overlay` - the configuration as the Linux dataplane's bridges, VXLAN
  devices and FRR EVPN (pure);
* :mod:`.yang` - Nokia's models through libyang's ``yanglint``
  (``validate: full``, and the tests' truth).
"""

"""The lab's Linux dataplane (``fabric-lab up --dataplane linux``, root).

Per node a network namespace and a persistent UTS namespace (host name =
node name), veth links with the platform profile's Linux names, lldpd on
every node and FRR (zebra + bgpd) with the day-0 underlay on every switch;
the switch emulator acts on the switches' namespaces
(:mod:`labs.emulator.linux`). Everything created is recorded in the state
file and removed by ``down`` (:mod:`labs.dataplane.resources`).

* :mod:`.names` - host-global names (per-lab prefix) and per-node paths;
* :mod:`.cmd` - running ip/lldpcli/vtysh, errors translated once;
* :mod:`.netns` - namespaces, UTS namespaces, sysctls, links;
* :mod:`.spawn` - daemons started inside a node, recorded by pid;
* :mod:`.lldpd`, :mod:`.frr` - daemon configuration (pure) and queries;
* :mod:`.bringup` - the ``up`` phases; :mod:`.converge` - waiting for the
  underlay; :mod:`.resources` - teardown of what was recorded;
* :mod:`.vlan` - the VLAN backend of a namespace (the kernel's 802.1Q, else
  a userspace tagger); :mod:`.tagger` - starting and stopping a tagger
  process (``python -m cni.vlan.tagger``) in a namespace, recorded by pid;
* :mod:`.endpoint` - addresses on a VLAN of a node NIC (tests, demos);
* :mod:`.testbed` - scratch namespaces with a tagger on each end of a veth
  (the tagger's tests and benchmark).
"""

"""``fabric-cni``, the CNI plugin (spec 1.1.0): ``cni/README.md``.

* :mod:`.main` - the entry point: parse, dispatch, answer, log;
* :mod:`.config` - ``CNI_*``, ``CNI_ARGS`` and the network config (pure);
  :mod:`.versions` - spec versions and results (pure); :mod:`.errors` - the
  one error and the code table;
* :mod:`.context` - one run: node name, records, fabricd client, VLAN backend;
* :mod:`.pod` - ADD, DEL, CHECK; :mod:`.node` - GC and STATUS; both use
  :mod:`.iface` (a pod interface's two parts: the macvlan delegate and its
  share of the VLAN sub-interface) and :mod:`.owed` (Detach calls owed to
  fabricd), and neither imports the other;
* :mod:`.controller` - the gRPC client of fabricd; :mod:`.delegate` -
  running macvlan and IPAM as a runtime does;
* :mod:`.records` - the node's local records (state directory, lock, log).

Start-up is lean: ``main`` imports only the standard library's basics; the
rest, and grpc, load when a command needs them.
"""

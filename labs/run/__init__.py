"""Running a lab (``fabric-lab up|down|status|inventory|fault``).

* :mod:`.runner` - ``up`` and ``down``: secrets, the dataplane, the emulator
  host process, convergence; :mod:`.teardown` - removing exactly what ``up``
  recorded;
* :mod:`.statefile` - the state directory and ``state.json``;
  :mod:`.procs` - processes recorded by pid and start time;
* :mod:`.material` and :mod:`.certs` - per-run password and lab PKI;
* :mod:`.inventory` - what fabricd consumes from a lab (inventory, port map);
* :mod:`.fault` - fault verbs through the emulator host's admin service;
* :mod:`.fabricd_proc` - fabricd as a process of a running lab (mutual TLS);
  :mod:`.identities` - its certificates and the nodes' fabric-cni files.
"""

"""Containerlab topology files run without Docker, and the gNMI switch emulator.

The rooms (``labs/README.md`` tells the whole story):

* :mod:`labs.files` - the lab file model: a containerlab file plus its
  sidecar loaded into a typed :class:`~labs.files.lab.Lab`, its expected
  state checked, turned into switch specs (:mod:`labs.files.spec`, the
  contract between the runner and the emulator); the scale-lab generator;
* :mod:`labs.run` - running a lab: ``up``/``down``, the state file, processes
  by pid, per-run secrets and PKI, the inventory fabricd reads, fault verbs,
  fabricd as a process of the lab;
* :mod:`labs.pods` - pods on a running lab's nodes, attached as Multus would,
  and the seed scenario;
* :mod:`labs.emulator` - the gNMI switch emulator (one target per switch,
  many in one host process) and its Linux backend;
* :mod:`labs.dataplane` - the lab's Linux dataplane (network namespaces,
  links, lldpd, FRR, VLAN taggers);
* :mod:`labs.cli` (``fabric-lab``) and :mod:`labs.errors` (the one error tree).

The lab files themselves (``*.clab.yml``, ``*.fabric.yml``) stay in ``labs/``.
From ``cni`` only the VLAN seam (:mod:`cni.vlan`) is used.
"""

"""Pods on the nodes of a running Linux lab (``fabric-lab pod``).

* :mod:`.manifest` - Pod manifests, NetworkAttachmentDefinitions and what
  Multus makes of them (pure; the annotation parser is
  :mod:`models.annotations`);
* :mod:`.runtime` - the lab's stand-in for the container runtime and Multus:
  a network namespace per pod, the CNI plugins run as Multus runs them;
* :mod:`.scenario` - the seed scenario (networks, NADs, pods, ping matrix).
"""

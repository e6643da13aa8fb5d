"""The userspace 802.1Q tagger: VLANs of a trunk port as tap devices, for
kernels without CONFIG_VLAN_8021Q (``docs/vlan-backend.md``).

``python -m labs.vlan.tagger`` is the process (:mod:`labs.vlan.tagger`),
:mod:`labs.vlan.process` starts and stops one in a network namespace, and
``cni.vlanif.TaggerVlanBackend`` is its client.
"""

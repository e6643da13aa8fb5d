"""The userspace 802.1Q tagger: VLANs of a trunk port as tap devices, for
kernels without CONFIG_VLAN_8021Q (``docs/vlan-backend.md``).

``python -m cni.vlan.tagger`` is the process (:mod:`.server`: the control
socket and ``main``); :mod:`.forward` holds its state and data path,
:mod:`.devices` its taps and trunk sockets, :mod:`.frames` the 802.1Q frame
handling (pure). The wire protocol is :mod:`cni.vlan.protocol`, the client
:class:`cni.vlan.client.TaggerVlanBackend`; the lab starts and stops
taggers with :mod:`labs.dataplane.tagger`.
"""

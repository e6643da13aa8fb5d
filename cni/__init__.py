"""fabric-cni: the CNI plugin that asks fabricd for a VLAN on the node's uplink."""

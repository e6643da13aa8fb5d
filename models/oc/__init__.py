"""OpenConfig data as gNMI sees it: paths, list keys of the model subset
fabricd handles, and a configuration tree with gNMI Set/Get semantics."""

"""gNMI data as fabricd sees it: paths, list keys of the model subsets it
handles (OpenConfig and native platform schemas), and a configuration tree
with gNMI Set/Get semantics."""

"""fabric.v1: the API between fabricd, its CNI plugin and fabricctl.

Stated once, here, with the contract:

* ``DEFAULT_ADDRESS``: where fabricd serves the API unless configured
  otherwise, and so where its clients look first;
* the organisations (subject O) of client certificates: a node's
  (``CN=<node name>``) and an operator's (docs/security.md).
"""

DEFAULT_ADDRESS = "unix:///run/fabricd/api.sock"
NODE_ORGANIZATION = "fabricd:nodes"
OPERATOR_ORGANIZATION = "fabricd:operators"

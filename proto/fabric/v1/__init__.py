"""fabric.v1: the API between fabricd, its CNI plugin and fabricctl.

Stated once, here, with the contract:

* ``DEFAULT_ADDRESS``: where fabricd serves the API unless configured
  otherwise, and so where its clients look first;
* the organisations (subject O) of client certificates: a node's
  (``CN=<node name>``), an operator's and a peer fabricd's, which may only
  forward a caller's request, on behalf of that caller (docs/security.md);
* the request metadata a peer names that caller with (docs/ha.md).
"""

DEFAULT_ADDRESS = "unix:///run/fabricd/api.sock"
NODE_ORGANIZATION = "fabricd:nodes"
OPERATOR_ORGANIZATION = "fabricd:operators"
PEER_ORGANIZATION = "fabricd:peers"
#: metadata of a forwarded request: ``operator:NAME``, ``node:NAME`` or ``trusted:`` (insecure API)
ON_BEHALF_OF = "x-fabricd-on-behalf-of"

"""fabricctl: the operator CLI (a client of the fabric.v1 API)."""

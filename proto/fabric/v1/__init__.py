"""fabric.v1: the API between fabricd, its CNI plugin and fabricctl.

``DEFAULT_ADDRESS`` is where fabricd serves it unless configured otherwise,
and so where its clients look first (stated once, here, with the contract).
"""

DEFAULT_ADDRESS = "unix:///run/fabricd/api.sock"

"""The HA tier: several fabricd on a real 3-member etcd (the session's
``etcd3`` of tests/conftest.py, or a cluster of their own where members are
killed), the seed lab's switch emulators, short leases (tests assert
correctness; ``python -m bench ha`` measures times with the defaults)."""

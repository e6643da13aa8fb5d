"""Real third-party servers for the tests (etcd, kube-apiserver), built from
the Go module proxy by ``make tools`` (scripts/tools.py) and run on loopback."""

"""fabricd: the daemon (API, gNMI sessions, reconcilers, store, metrics)."""

__version__ = "0.1.0"

"""The daemon's core: the fabric service (API semantics), per-switch workers,
the event bus."""

"""Bounds on what a request may carry, checked before anything else reads it.

Every string field of every request has a cap (``STRING_CAPS`` by field
name, else ``DEFAULT_CAP``) a little above what validation accepts, so a
hostile 8 MB name is refused at once with INVALID_ARGUMENT, and no message,
log line or gRPC trailer ever repeats more than a short prefix of it
(:func:`models.errors.shown`). Repeated fields have counts (``COUNT_CAPS``).
docs/api-limits.md lists them (generated; a test keeps it current).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from models.errors import Problem

DEFAULT_CAP = 256
#: characters per string field name (where validation allows more than the default, or far less)
STRING_CAPS = {
    "namespace": 63,
    "pod_namespace": 63,
    "nad_namespace": 63,
    "name": 253,
    "pod_name": 253,
    "node": 253,
    "switch": 253,
    "switches": 253,
    "pod_uid": 128,
    "interface": 15,
    "nic": 15,
    "uplink": 15,
    "container_id": 256,
    "description": 255,
    "kinds": 32,
    "cni_network": 253,
    "ipam_json": 8192,
}
#: entries per repeated field name
COUNT_CAPS = {"valid": 10_000, "switches": 4096, "kinds": 16}
DEFAULT_COUNT = 1024


def request_problems(request: Message) -> list[Problem]:
    """Every string over its cap and every list over its count, by path."""
    return list(_walk(request, ""))


def _walk(msg: Message, prefix: str) -> Iterator[Problem]:
    for field, value in msg.ListFields():
        path = f"{prefix}{field.name}"
        if field.is_repeated:
            limit = COUNT_CAPS.get(field.name, DEFAULT_COUNT)
            if len(value) > limit:
                yield Problem(path, f"{len(value)} entries", f"has more than {limit} entries")
                continue
            for i, item in enumerate(value):
                yield from _one(field, item, f"{path}[{i}]")
        else:
            yield from _one(field, value, path)


def _one(field: FieldDescriptor, value: Any, path: str) -> Iterator[Problem]:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        yield from _walk(value, f"{path}.")
    elif field.type == FieldDescriptor.TYPE_STRING:
        cap = STRING_CAPS.get(field.name, DEFAULT_CAP)
        if len(value) > cap:
            yield Problem(path, value, f"is longer than {cap} characters")

"""``validate: full``: decode the resulting configuration with the official
OpenConfig pyangbind bindings shipped by oc-config-validate.

Slow (~0.2 s per list entry decoded, so only the entries a Set touched are
decoded; the bindings are imported on first use, only in this mode) and
blind to ``when`` and leafref rules, so the fast checks run first. Only
``oc_config_validate.models.*`` is imported, never
``oc_config_validate.schema`` (it would load a second gnmi proto).
"""

from __future__ import annotations

import importlib
import json
import threading
from collections.abc import Iterable
from typing import Any

from models.oc.path import Elem, Path
from models.oc.tree import Tree

#: top-level member -> (binding module, class, JSON_IETF member name)
BINDINGS: dict[str, tuple[str, str, str]] = {
    "interfaces": ("interfaces", "openconfig_interfaces", "openconfig-interfaces:interfaces"),
    "network-instances": (
        "network_instance",
        "openconfig_network_instance",
        "openconfig-network-instance:network-instances",
    ),
    "lldp": ("lldp", "openconfig_lldp", "openconfig-lldp:lldp"),
}

_lock = threading.Lock()  # pyangbind module import is not thread-safe


def documents(config: Tree, anchors: Iterable[Path]) -> dict[str, Any]:
    """What a Set touched, as JSON_IETF per top-level member: the list
    entries under the anchors (``{"interface": [...]}``), or the whole member
    when an anchor is above its entries. The bindings check neither ``when``
    nor leafrefs, so untouched entries need no second look (each entry costs
    ~0.2 s to decode)."""
    whole: set[str] = set()
    entries: dict[str, dict[Elem, None]] = {}
    for a in anchors:
        if not a.elems:
            whole.update(BINDINGS)
        elif len(a.elems) >= 2 and a.elems[1].keys:  # /top/list[key]...
            entries.setdefault(a.elems[0].name, {})[a.elems[1]] = None
        else:
            whole.add(a.elems[0].name)
    out: dict[str, Any] = {}
    for top in BINDINGS:
        if top in whole:
            value = config.to_json(Path((Elem(top),)))
            if value is not None:
                out[top] = value
        elif top in entries:
            found = [config.to_json(Path((Elem(top), e))) for e in entries[top]]
            found = [v for v in found if v is not None]
            if found:
                out[top] = {next(iter(entries[top])).name: found}
    return out


def check_full(docs: dict[str, Any]) -> list[str]:
    """Problems the bindings find in ``documents()`` output."""
    from pyangbind.lib.serialise import pybindJSONDecoder

    out: list[str] = []
    for top, value in sorted(docs.items()):
        module, cls, member = BINDINGS[top]
        with _lock:
            binding = getattr(importlib.import_module(f"oc_config_validate.models.{module}"), cls)
        try:
            pybindJSONDecoder.load_ietf_json({member: value}, None, None, binding())
        except Exception as err:  # noqa: BLE001 - pyangbind raises anything; all of it is a rejection
            out.append(f"/{top}: full validation ({member.partition(':')[0]}): {_reason(err)}")
    return out


def _reason(err: Exception) -> str:
    arg = err.args[0] if err.args else err
    if isinstance(arg, dict) and "error-string" in arg:
        return str(arg["error-string"])
    text = str(arg)
    if text.startswith("{"):
        try:
            return str(json.loads(text).get("error-string", text))
        except ValueError:
            pass
    return f"{type(err).__name__}: {text}"


class OpenconfigFullCheck:
    """``validate: full`` of the ``openconfig`` profile (the bindings ship
    with the project's Python dependencies: never missing)."""

    def missing(self) -> str | None:
        return None

    def documents(self, config: Tree, anchors: Iterable[Path]) -> dict[str, Any]:
        return documents(config, anchors)

    def check(self, docs: dict[str, Any]) -> list[str]:
        return check_full(docs)

"""An SR Linux configuration (JSON_IETF) as the flat CLI a containerlab
``startup-config`` applies on top of the box's defaults (pure).

containerlab takes a startup-config as CLI unless its first non-blank
character is ``{`` (a JSON one replaces the whole configuration, defaults
included), feeds it to ``sr_cli`` in candidate mode after boot and commits
it itself, so the file holds neither ``enter candidate`` nor ``commit``. The
file also goes through containerlab's environment and Go-template
substitution, so it holds no ``$`` and no ``{{``, and (older containerlab
wrote it with ``echo '...'``) no single quote.

One ``set / ...`` line per leaf, in the document's order, lists by key
(``subinterface 0``; a list with several keys names the later ones:
``prefix 10.0.0.1/32 mask-length-range exact``), identities without their
module (``type mac-vrf``), leaf-lists in brackets (``export-policy [ p ]``),
a list entry or a presence container with nothing else set on its own line.
"""

from __future__ import annotations

import re
from typing import Any

from models.oc.schema import SchemaPath, list_keys
from models.oc.tree import KeyedList, Tree

_IDENTITY = re.compile(r"^srl_nokia-[a-z0-9-]+:([A-Za-z0-9_-]+)$")
_PLAIN = re.compile(r"^[A-Za-z0-9_./:@+-]+$")
FORBIDDEN = ("'", "$", "{{")


class CliError(ValueError):
    """A value the CLI file cannot carry (a quote, a template marker)."""


def _word(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    m = _IDENTITY.match(text)
    if m:
        text = m.group(1)
    if any(bad in text for bad in FORBIDDEN) or '"' in text or "\n" in text:
        raise CliError(f"{text!r} cannot be written in a containerlab startup-config")
    return text if _PLAIN.match(text) else f'"{text}"'


def _walk(node: Any, schema: SchemaPath, words: list[str], out: list[str]) -> None:
    if isinstance(node, KeyedList):
        keys = [k for k, _ in list_keys(schema) or ()]
        for entry in node.values():
            head = [_word(entry[keys[0]])] + [f"{k} {_word(entry[k])}" for k in keys[1:]]
            here = [*words, *head]
            rest = {k: v for k, v in entry.items() if k not in keys}
            if not rest:
                out.append(" ".join(here))
            _container(rest, schema, here, out)
        return
    if isinstance(node, dict):
        if not node:
            out.append(" ".join(words))
        _container(node, schema, words, out)
        return
    if isinstance(node, list):
        if node == [None]:  # an empty leaf
            out.append(" ".join(words))
        else:
            out.append(" ".join([*words, "[", *(_word(v) for v in node), "]"]))
        return
    out.append(" ".join([*words, _word(node)]))


def _container(node: dict[str, Any], schema: SchemaPath, words: list[str], out: list[str]) -> None:
    for name, child in node.items():
        _walk(child, (*schema, name), [*words, name], out)


def to_cli(doc: Any) -> str:
    """The flat ``set / ...`` lines of a JSON_IETF configuration document."""
    tree = Tree.from_json(doc)
    out: list[str] = []
    _container(tree.root, (), [], out)
    return "".join(f"set / {line}\n" for line in out)

"""Reading raw YAML values into typed ones, with errors naming file, field
and value (:class:`labs.errors.LabFileError`). Used by the topology and the
sidecar loaders only."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from labs.errors import LabFileError

#: libyaml's safe loader when PyYAML has it (a 512-leaf lab loads 10x faster)
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str, file: Path | str) -> Any:
    """Parse YAML; a syntax error names the line and column."""
    try:
        return yaml.load(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        where = f"line {mark.line + 1} column {mark.column + 1}" if mark else "(yaml)"
        raise LabFileError(file, where, f"YAML syntax error: {e.problem or e}") from None
    except yaml.YAMLError as e:
        raise LabFileError(file, "(yaml)", f"YAML syntax error: {e}") from None


def kind_of(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return "a number"
    return "a string" if isinstance(value, str) else type(value).__name__


class Fields:
    """Typed reads from one file; every failure is a LabFileError."""

    __slots__ = ("file",)

    def __init__(self, file: Path | str) -> None:
        self.file = str(file)

    def error(self, field: str, message: str) -> LabFileError:
        return LabFileError(self.file, field, message)

    def _missing(self, value: Any, field: str, what: str) -> None:
        if value is None:
            raise self.error(field, f"missing: must be {what}")

    def mapping(self, value: Any, field: str, *, allowed: Iterable[str] | None = None) -> Mapping[str, Any]:
        self._missing(value, field, "a mapping")
        if not isinstance(value, Mapping):
            raise self.error(field, f"must be a mapping, not {kind_of(value)} ({value!r})")
        if allowed is not None:
            known = set(allowed)
            for key in value:
                if key not in known:
                    raise self.error(join(field, str(key)), f"unknown key {key!r} (known: {', '.join(sorted(known))})")
        return value

    def seq(self, value: Any, field: str) -> list[Any]:
        self._missing(value, field, "a list")
        if not isinstance(value, list):
            raise self.error(field, f"must be a list, not {kind_of(value)} ({value!r})")
        return value

    def string(self, value: Any, field: str) -> str:
        self._missing(value, field, "a non-empty string")
        if not isinstance(value, str) or not value:
            raise self.error(field, f"must be a non-empty string, not {kind_of(value)} ({value!r})")
        return value

    def boolean(self, value: Any, field: str) -> bool:
        if not isinstance(value, bool):
            raise self.error(field, f"must be true or false, not {value!r}")
        return value

    def integer(self, value: Any, field: str, lo: int, hi: int, *, what: str = "") -> int:
        """An int in lo..hi; strings of digits are accepted (labels are strings)."""
        n = value
        if isinstance(value, str) and value.strip().isdigit():
            n = int(value.strip())
        if isinstance(n, bool) or not isinstance(n, int) or not lo <= n <= hi:
            kind = f" {what}" if what else " an integer"
            raise self.error(field, f"{value!r} is not{kind} in {lo}..{hi}")
        return n

    def choice(self, value: Any, field: str, choices: Iterable[str]) -> str:
        options = tuple(choices)
        if value not in options:
            raise self.error(field, f"{value!r} is not one of {', '.join(options)}")
        return str(value)

    def ipv4(self, value: Any, field: str) -> ipaddress.IPv4Address:
        try:
            return ipaddress.IPv4Address(str(value))
        except ValueError:
            raise self.error(field, f"{value!r} is not an IPv4 address") from None

    def ipv4_interface(self, value: Any, field: str) -> ipaddress.IPv4Interface:
        text = str(value)
        try:
            if "/" not in text:
                raise ValueError(text)
            return ipaddress.IPv4Interface(text)
        except ValueError:
            raise self.error(field, f"{value!r} is not an IPv4 address with a prefix length") from None


def join(field: str, key: str) -> str:
    return f"{field}.{key}" if field else key


def split_endpoint(text: str) -> tuple[str, str] | None:
    """``node:iface`` -> (node, iface); None when it is not that shape."""
    node, sep, iface = text.partition(":")
    if not sep or not node or not iface or ":" in iface or any(c.isspace() for c in text):
        return None
    return node, iface

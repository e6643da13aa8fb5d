"""Field types of the settings files: durations, listener addresses, HOST:PORT,
paths relative to the file that names them. Each checks one value and says
why it is wrong (the loader adds the field's path)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, PlainValidator, ValidationInfo, WithJsonSchema

from controller.settings.address import Address, AddressError, parse_address
from models.configfile import problem

_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(value: object) -> float:
    """Seconds from ``10s``, ``500ms``, ``5m``, ``1h`` or a number of seconds;
    raises ValueError saying why (the caller names field and value)."""
    if isinstance(value, bool):
        raise ValueError("is not a duration (e.g. 10s, 500ms, 5m)")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("is negative")
        return float(value)
    m = _DURATION.fullmatch(str(value))
    if not m:
        raise ValueError("is not a duration (e.g. 10s, 500ms, 5m)")
    return float(m.group(1)) * _UNIT[m.group(2)]


def _duration(value: object) -> float:
    try:
        return parse_duration(value)
    except ValueError as e:
        raise problem(str(e)) from None


#: seconds; ``10s``, ``500ms``, ``5m``, ``1h`` or a number in a document
Duration = Annotated[
    float,
    PlainValidator(_duration),
    WithJsonSchema({"type": ["string", "number"], "pattern": r"^\d+(\.\d+)?(ms|s|m|h)?$", "examples": ["10s"]}),
]


def _address(value: object) -> Address:
    if isinstance(value, Address):
        return value
    try:
        return parse_address(str(value))
    except AddressError as e:
        raise problem(str(e).split(": ", 1)[-1]) from None


#: an API listener: ``unix:///path.sock`` or ``HOST:PORT``
ListenAddress = Annotated[
    Address,
    PlainValidator(_address),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "examples": ["unix:///run/fabricd/api.sock", "0.0.0.0:50051"]}),
]


def _host_port(value: object) -> str:
    text = str(value).strip()
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise problem("is not HOST:PORT (port 0..65535)")
    return text


#: ``HOST:PORT`` (port 0 picks a free one)
HostPort = Annotated[
    str, BeforeValidator(_host_port), WithJsonSchema({"type": "string", "examples": ["127.0.0.1:9464"]})
]


def _relative_path(value: Any, info: ValidationInfo) -> Path:
    if not isinstance(value, str | Path) or not str(value).strip():
        raise problem("is not a file path")
    p = Path(str(value))
    base = (info.context or {}).get("base")
    return p if p.is_absolute() or base is None else Path(base) / p


#: a file path; relative paths are relative to the file that names them
FilePath = Annotated[
    Path,
    PlainValidator(_relative_path),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string"}),
]


def _listen_list(value: object) -> object:
    """``a,b`` (an environment override) as a list."""
    return [p for p in value.split(",") if p.strip()] if isinstance(value, str) else value


def _name_list(value: object) -> object:
    return [p.strip() for p in value.split(",") if p.strip()] if isinstance(value, str) else value


#: a list given as a list, or comma-separated in an environment override
CommaList = BeforeValidator(_name_list)
ListenList = BeforeValidator(_listen_list)

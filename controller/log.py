"""Structured logs: short event names with key-values, bound to a component
and a switch or request; text or JSON lines; secrets redacted in one place.

    log = get_logger("reconciler", switch="sw1")
    log.info("set.applied", ops=4, seconds=0.003)
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Any

_SECRETS: set[str] = set()
_SECRET_FIELDS = re.compile(r"(password|passwd|secret|token|private_key)", re.I)
REDACTED = "***"


def register_secret(value: str) -> None:
    """A value (a switch password, a key) that must never appear in a log line."""
    if value and len(value) >= 4:
        _SECRETS.add(value)


def redact(text: str) -> str:
    for s in _SECRETS:
        if s in text:
            text = text.replace(s, REDACTED)
    return text


class BoundLogger:
    __slots__ = ("_fields", "_log")

    def __init__(self, log: logging.Logger, fields: dict[str, Any]) -> None:
        self._log = log
        self._fields = fields

    def bind(self, **fields: Any) -> BoundLogger:
        return BoundLogger(self._log, {**self._fields, **fields})

    def _emit(self, level: int, event: str, fields: dict[str, Any], exc_info: bool = False) -> None:
        if self._log.isEnabledFor(level):
            self._log.log(level, event, extra={"fabric": {**self._fields, **fields}}, exc_info=exc_info)

    def debug(self, event: str, **fields: Any) -> None:
        self._emit(logging.DEBUG, event, fields)

    def info(self, event: str, **fields: Any) -> None:
        self._emit(logging.INFO, event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        self._emit(logging.WARNING, event, fields)

    def error(self, event: str, **fields: Any) -> None:
        self._emit(logging.ERROR, event, fields)

    def exception(self, event: str, **fields: Any) -> None:
        self._emit(logging.ERROR, event, fields, exc_info=True)


def get_logger(component: str, **fields: Any) -> BoundLogger:
    return BoundLogger(logging.getLogger(f"fabricd.{component}"), {"component": component, **fields})


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: (REDACTED if _SECRET_FIELDS.search(k) else v) for k, v in fields.items()}


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = _clean(getattr(record, "fabric", {}))
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"
        kv = " ".join(f"{k}={_text(v)}" for k, v in fields.items())
        line = f"{ts} {record.levelname.lower():7} {record.getMessage()} {kv}".rstrip()
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return redact(line)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "event": record.getMessage(),
            **_clean(getattr(record, "fabric", {})),
        }
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(doc, default=str))


def _text(v: Any) -> str:
    s = str(v)
    return json.dumps(s) if (" " in s or not s) else s


def configure(level: str = "info", fmt: str = "text", stream: Any = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("grpc").setLevel("WARNING")

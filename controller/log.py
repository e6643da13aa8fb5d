"""Structured logs: short event names with key-values, bound to a component
and a switch or request; text or JSON lines; secrets redacted in one place.

    log = get_logger("reconciler", switch="sw1")
    log.info("set.applied", ops=4, seconds=0.003)

    with request_scope("1f2e3d4c"):     # the API binds every line of a request
        log.info("authz.denied", ...)   # ... request=1f2e3d4c

Secrets: values registered with :func:`register_secret` (switch passwords)
and the body lines of PEM keys registered with :func:`register_key` are
replaced by ``***`` in the message, every field value and every traceback
*before* a line is serialised (so quoting or JSON escaping cannot hide a
secret from the search), in its raw form and in the escaped forms messages
quote values with (``repr``, JSON); a secret shorter than 4 characters is
replaced where it stands as a whole word, longer ones wherever they appear. Fields named
like a secret (password, token, private_key, ...) are never printed. A field
value is cut at ``FIELD_MAX`` characters (requests carry untrusted strings).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
import sys
import time
from collections.abc import Iterator
from typing import Any

SHORT_SECRET = 4
FIELD_MAX = 1024
_SECRET_FIELDS = re.compile(r"(password|passwd|secret|token|private_key|key_pem)", re.I)
REDACTED = "***"
_REQUEST: contextvars.ContextVar[str] = contextvars.ContextVar("fabricd_request", default="")


@contextlib.contextmanager
def request_scope(request_id: str) -> Iterator[None]:
    """Every line logged in this context (task) carries ``request=<id>``."""
    token = _REQUEST.set(request_id)
    try:
        yield
    finally:
        _REQUEST.reset(token)


class _Secrets:
    """The process's secrets and one pattern finding any of them."""

    def __init__(self) -> None:
        self.values: set[str] = set()
        self.pattern: re.Pattern[str] | None = None

    def add(self, value: str) -> None:
        if value and value not in self.values:
            # messages quote values (repr, JSON): their escaped forms are the same secret
            self.values |= {
                value,
                repr(value)[1:-1],
                json.dumps(value)[1:-1],
                json.dumps(value, ensure_ascii=False)[1:-1],
            }
            parts = [
                re.escape(s) if len(s) >= SHORT_SECRET else rf"(?<![\w]){re.escape(s)}(?![\w])"
                for s in sorted(self.values, key=len, reverse=True)
            ]
            self.pattern = re.compile("|".join(parts))


_SECRETS = _Secrets()


def register_secret(value: str) -> None:
    """A value (a switch password, a key) that must never appear in a log line."""
    _SECRETS.add(value)


def register_key(pem: bytes) -> None:
    """A PEM private key: each of its base64 lines is a secret, so that no
    part of it can appear in a log line, whatever the quoting."""
    for raw in pem.decode(errors="replace").splitlines():
        line = raw.strip()
        if line and not line.startswith("-----") and len(line) >= 16:
            register_secret(line)


def redact(text: str) -> str:
    """``text`` with every registered secret replaced (raw text, before quoting)."""
    pattern = _SECRETS.pattern
    return text if pattern is None else pattern.sub(REDACTED, text)


class BoundLogger:
    __slots__ = ("_fields", "_log")

    def __init__(self, log: logging.Logger, fields: dict[str, Any]) -> None:
        self._log = log
        self._fields = fields

    def bind(self, **fields: Any) -> BoundLogger:
        return BoundLogger(self._log, {**self._fields, **fields})

    def _emit(self, level: int, event: str, fields: dict[str, Any], exc_info: bool = False) -> None:
        if self._log.isEnabledFor(level):
            bound = {**self._fields, **fields}
            request = _REQUEST.get()
            if request and "request" not in bound:
                bound["request"] = request
            self._log.log(level, event, extra={"fabric": bound}, exc_info=exc_info)

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
    """Field values as they may be printed: secrets out, long values cut."""
    out: dict[str, Any] = {}
    for k, v in fields.items():
        if _SECRET_FIELDS.search(k):
            out[k] = REDACTED
        elif isinstance(v, bool | int | float) or v is None:
            out[k] = v
        else:
            text = redact(v if isinstance(v, str) else str(v))
            out[k] = text if len(text) <= FIELD_MAX else f"{text[:FIELD_MAX]}... ({len(text)} characters)"
    return out


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = _clean(getattr(record, "fabric", {}))
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"
        kv = " ".join(f"{k}={_text(v)}" for k, v in fields.items())
        line = f"{ts} {record.levelname.lower():7} {redact(record.getMessage())} {kv}".rstrip()
        if record.exc_info:
            line += "\n" + redact(self.formatException(record.exc_info))
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "event": redact(record.getMessage()),
            **_clean(getattr(record, "fabric", {})),
        }
        if record.exc_info:
            doc["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(doc)


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

"""Page sizes and page tokens of a List method.

A token is opaque to callers and holds no state here: it names the sort key
of the last item of the page it ends (the next page starts after that key,
so no item is listed twice, and any member of an HA cluster can answer it)
and the listing it belongs to, a digest of the method, the caller's
effective filters and identity. A token of another listing, or one that is
not a token, is INVALID_ARGUMENT naming ``page_token``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence

from models.errors import Problem, ValidationError

DEFAULT_PAGE = 1000
MAX_PAGE = 5000
_VERSION = 1


def page_size(value: int) -> int:
    """The page size a request asks for: 0 is the default, more than the most is the most."""
    if value < 0:
        raise ValidationError([Problem("page_size", value, "is negative (0 asks for the default page size)")])
    return DEFAULT_PAGE if value == 0 else min(value, MAX_PAGE)


def listing(*parts: str) -> str:
    """The digest that ties a token to one listing (method, filters, caller)."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:24]


def make_token(of: str, after: Sequence[str]) -> str:
    """The token of the page after the item whose sort key is ``after``."""
    doc = json.dumps({"v": _VERSION, "of": of, "after": list(after)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(doc.encode()).decode().rstrip("=")


def read_token(token: str, of: str, width: int) -> tuple[str, ...] | None:
    """The sort key a token names (None for "", the first page)."""
    if not token:
        return None
    try:
        doc = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, RecursionError):  # RecursionError: '[' nested deeper than json goes
        doc = None
    after = doc.get("after") if isinstance(doc, dict) else None
    if (
        not isinstance(doc, dict)
        or doc.get("v") != _VERSION
        or not isinstance(after, list)
        or len(after) != width
        or not all(isinstance(x, str) for x in after)
    ):
        raise ValidationError([Problem("page_token", token, "is not a page token")])
    if doc.get("of") != of:
        raise ValidationError(
            [Problem("page_token", token, "belongs to another listing (other filters or another caller)")]
        )
    return tuple(after)

"""gNMI username/password metadata (gnmi-authentication.md): checked on
every RPC when the switch has credentials. Messages name the user, never
the password."""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from typing import Any

from labs.emulator.errors import Unauthenticated
from labs.files.spec import Credentials


def check_credentials(metadata: Iterable[tuple[str, Any]] | None, creds: Credentials | None) -> None:
    if creds is None:
        return
    md: dict[str, str] = {}
    for key, value in metadata or ():
        md.setdefault(key.lower(), value.decode() if isinstance(value, bytes) else str(value))
    user = md.get("username")
    if not user:
        raise Unauthenticated("no username in the request metadata (send username and password metadata)")
    if "password" not in md:
        raise Unauthenticated(f"no password in the request metadata for user {user!r}")
    if not hmac.compare_digest(user.encode(), creds.username.encode()):
        raise Unauthenticated(f"unknown user {user!r}")
    if not hmac.compare_digest(md["password"].encode(), creds.password.encode()):
        raise Unauthenticated(f"wrong password for user {user!r}")

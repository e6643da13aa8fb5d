"""The node-token seam: who a bearer token says the caller is.

The API (controller/api) asks a :class:`NodeTokens` for the caller of a
request that came with ``authorization: Bearer <token>`` and no client
certificate; the Kubernetes component (controller/kube/tokens.py) answers
with a TokenReview. Errors, in the one tree (models/errors.py)::

    PermanentError
     +-- TokenUnauthenticated   the token is not valid (expired, wrong audience, unknown): UNAUTHENTICATED
     +-- PermissionDeniedError  a valid token that is not a node's (wrong ServiceAccount, not bound to a
                                pod on a node): PERMISSION_DENIED
    TemporaryError              the API server cannot be asked: UNAVAILABLE (the plugin retries)
"""

from __future__ import annotations

from typing import Protocol

from controller.service.authz import Caller
from models.errors import PermanentError

#: the longest token accepted (a projected ServiceAccount token is about 1 KiB)
MAX_TOKEN_BYTES = 4 * 1024  # below gRPC's own 8 KiB soft limit on all metadata: our refusal, not its


class TokenUnauthenticated(PermanentError):
    """The token proves nothing; the message says why (for the caller)."""


class NodeTokens(Protocol):
    async def caller(self, token: str) -> Caller:
        """The node the token is bound to, as a node identity."""
        ...

"""Who calls: the client certificate, read once per connection's certificate.

A node without a certificate may instead present its ServiceAccount token
(``authorization: Bearer``) on an ``api.token_listen`` listener
(controller/kube/tokens.py says how it is checked).

Nodes and operators live in separate name spaces, told apart by the
certificate's organisation (O), the way Kubernetes tells its nodes
(``O=system:nodes``) from other users:

* ``O=fabricd:nodes``, ``CN=<node name>``: a node, acting only for itself;
* ``O=fabricd:operators``, ``CN`` listed in ``api.operators``: an operator,
  who may do everything.

A certificate with neither organisation, with both, or an operator name
not listed is refused (UNAUTHENTICATED), so a node named like an operator is
still a node. docs/security.md describes how identities are issued.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable

from cryptography import x509
from cryptography.x509.oid import NameOID

from controller.service.authz import Caller
from controller.service.tokens import MAX_TOKEN_BYTES
from proto.fabric.v1 import NODE_ORGANIZATION, OPERATOR_ORGANIZATION

NODE_ORG = NODE_ORGANIZATION
OPERATOR_ORG = OPERATOR_ORGANIZATION


class Unauthenticated(Exception):
    """No usable client identity; the message says why (for the caller)."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Subject:
    common_name: str
    organizations: frozenset[str]


@functools.lru_cache(maxsize=1024)
def subject_of(pem: bytes) -> Subject:
    """The certificate's CN and organisations (cached: one parse per client certificate)."""
    cert = x509.load_pem_x509_certificate(pem)
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    orgs = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return Subject(
        common_name=str(cns[0].value) if cns else "",
        organizations=frozenset(str(o.value) for o in orgs),
    )


def bearer_token(metadata: Iterable[tuple[str, str | bytes]]) -> str | None:
    """The token of the request's ``authorization: Bearer <token>`` metadata (None: there is none).
    Exactly one such header is accepted, a token longer than MAX_TOKEN_BYTES is refused unread."""
    values = [v for k, v in metadata if k == "authorization"]
    if not values:
        return None
    if len(values) > 1:
        raise Unauthenticated("more than one authorization header")
    value = values[0] if isinstance(values[0], str) else values[0].decode(errors="replace")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the authorization header is not 'Bearer <token>'")
    if len(token) > MAX_TOKEN_BYTES:
        raise Unauthenticated(f"the bearer token is longer than {MAX_TOKEN_BYTES} bytes")
    return token.strip()


def caller_of(pem: bytes | None, operators: tuple[str, ...]) -> Caller:
    if not pem:
        raise Unauthenticated("a client certificate is required")
    try:
        subject = subject_of(pem)
    except ValueError:
        raise Unauthenticated("the client certificate cannot be read") from None
    name, orgs = subject.common_name, subject.organizations
    if not name:
        raise Unauthenticated("the client certificate has no common name")
    if NODE_ORG in orgs and OPERATOR_ORG in orgs:
        raise Unauthenticated(f"certificate {name!r} claims both {NODE_ORG} and {OPERATOR_ORG}")
    if OPERATOR_ORG in orgs:
        if name not in operators:
            raise Unauthenticated(f"operator certificate {name!r} is not listed in api.operators")
        return Caller(identity=name, operator=True)
    if NODE_ORG in orgs:
        return Caller(identity=name, operator=False)
    raise Unauthenticated(
        f"certificate {name!r} is neither a node's (O={NODE_ORG}) nor an operator's (O={OPERATOR_ORG})"
    )

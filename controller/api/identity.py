"""Who calls: the client certificate, read once per connection's certificate.

A node without a certificate may instead present its ServiceAccount token
(``authorization: Bearer``) on an ``api.token_listen`` listener
(controller/kube/tokens.py says how it is checked).

Nodes and operators live in separate name spaces, told apart by the
certificate's organisation (O), the way Kubernetes tells its nodes
(``O=system:nodes``) from other users:

* ``O=fabricd:nodes``, ``CN=<node name>``: a node, acting only for itself;
* ``O=fabricd:operators``, ``CN`` listed in ``api.operators``: an operator,
  who may do everything;
* ``O=fabricd:peers``: another fabricd of the same fabric, which has no
  rights of its own: it only forwards a caller's request, naming that caller
  in the ``x-fabricd-on-behalf-of`` metadata (``operator:NAME`` or
  ``node:NAME``), and the request is authorized as that caller's
  (an operator name must still be listed in this fabricd's ``api.operators``).

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
from proto.fabric.v1 import NODE_ORGANIZATION, ON_BEHALF_OF, OPERATOR_ORGANIZATION, PEER_ORGANIZATION

NODE_ORG = NODE_ORGANIZATION
OPERATOR_ORG = OPERATOR_ORGANIZATION
PEER_ORG = PEER_ORGANIZATION


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


def claimed_caller(claim: str, operators: tuple[str, ...], *, insecure: bool) -> Caller:
    """The caller a peer forwarded for: authorized as that caller, re-checked here."""
    kind, _, name = claim.partition(":")
    if kind == "trusted" and insecure:
        return Caller.trusted()
    if kind == "operator" and name:
        if name not in operators and not insecure:
            raise Unauthenticated(f"forwarded operator {name!r} is not listed in api.operators")
        return Caller(identity=name, operator=True)
    if kind == "node" and name:
        return Caller(identity=name, operator=False)
    raise Unauthenticated(f"forwarded caller {claim[:80]!r} is not operator:NAME or node:NAME")


def peer_caller(pem: bytes | None, claim: str | None, operators: tuple[str, ...], peers: tuple[str, ...]) -> Caller:
    """The caller of a request: a node or operator, or the caller a peer fabricd forwarded for."""
    if pem and claim is not None:
        try:
            subject = subject_of(pem)
        except ValueError:
            raise Unauthenticated("the client certificate cannot be read") from None
        if PEER_ORG in subject.organizations and len(subject.organizations) == 1:
            if peers and subject.common_name not in peers:
                raise Unauthenticated(f"peer certificate {subject.common_name!r} is not listed in ha.peers")
            return claimed_caller(claim, operators, insecure=False)
    return caller_of(pem, operators)


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
    if PEER_ORG in orgs:
        raise Unauthenticated(f"peer certificate {name!r} acts only on behalf of a caller ({ON_BEHALF_OF} metadata)")
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

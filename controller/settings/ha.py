"""Settings of the etcd store and of high availability (leader election,
fencing, followers): ``store`` (backend ``etcd``) and ``ha``. docs/ha.md
describes what each one bounds."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, ValidationInfo

from controller.settings.fields import CommaList, Duration, FilePath
from models.configfile import problem, section


@section
class EtcdTlsSettings:
    ca: FilePath
    """the CA that signs the etcd members' certificates"""
    cert: FilePath | None = None
    """a client certificate, when etcd requires one (``--client-cert-auth``)"""
    key: FilePath | None = None
    """its private key"""


@section
class PeerTlsSettings:
    cert: FilePath
    """this fabricd's peer client certificate (``O=fabricd:peers``): a follower forwards writes with it"""
    key: FilePath
    """its private key"""
    ca: FilePath
    """the CA that signs the API certificates of the other fabricd instances"""
    server_name: str = ""
    """the name in the leader's API certificate, when it is not the advertised address's host"""


def _endpoints_for_etcd(value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
    if info.data.get("backend") == "etcd" and not value:
        raise problem("is empty: backend etcd needs the members' client URLs (http://HOST:PORT or https://...)")
    return value


#: etcd endpoints (validated against the backend)
Endpoints = Annotated[
    tuple[Annotated[str, Field(min_length=1)], ...],
    CommaList,
    AfterValidator(_endpoints_for_etcd),
    Field(validate_default=True),
]


def _below(field: str, what: str):  # type: ignore[no-untyped-def]
    def check(value: float, info: ValidationInfo) -> float:
        other = info.data.get(field)
        if isinstance(other, float) and value >= other:
            raise problem(f"must be shorter than {what} ({other:g}s)")
        return value

    return AfterValidator(check)


@section
class HaSettings:
    lease_ttl: Annotated[Duration, Field(ge=2.0)] = 15.0
    """the leader's etcd lease: if the leader stops renewing, another fabricd takes over this long after its last
    renewal (Kubernetes' leaseDuration)"""
    renew_deadline: Annotated[Duration, _below("lease_ttl", "lease_ttl")] = 10.0
    """a leader that could not renew its lease for this long stops its switch workers and steps down; no gNMI Set
    is started past it (Kubernetes' renewDeadline)"""
    retry_period: Annotated[Duration, Field(gt=0), _below("renew_deadline", "renew_deadline")] = 2.0
    """how often the leader renews its lease and followers look for a vacant leadership (Kubernetes'
    retryPeriod)"""
    name: str = ""
    """this instance's identity in the election (default: host name and process id)"""
    advertise: str = ""
    """the API address the other instances forward writes to (``HOST:PORT`` or ``unix:///path``; default: the
    first ``api.listen``)"""
    peer_tls: PeerTlsSettings | None = None
    """how a follower calls the leader's API (needed with ``api.tls``: it forwards with this peer certificate)"""
    max_staleness: Duration = 5.0
    """a follower answers reads from its watched copy of the intent only while that copy was confirmed current
    within this long; otherwise UNAVAILABLE"""
    peers: Annotated[tuple[Annotated[str, Field(min_length=1)], ...], CommaList] = ()
    """peer certificate names (``O=fabricd:peers``) allowed to forward on behalf of callers; empty: any peer
    certificate the client CA signed"""

"""fabricd's settings: the ground floor every other part of the daemon reads.

One typed section per block of the YAML file, nested like the file, each
default stated once, on its field (``docs/settings.md`` is generated from
these declarations and ``deploy/fabricd.settings.schema.json`` is their JSON
Schema; a test keeps both current). Unknown keys are refused, every problem of
a file is reported at once with its dotted path (:mod:`models.configfile`).
Loading (the file, environment overrides) is :mod:`controller.settings.load`.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationInfo

from controller.settings.address import Address, parse_address
from controller.settings.fields import CommaList, Duration, FilePath, HostPort, ListenAddress
from controller.settings.ha import Endpoints, EtcdTlsSettings, HaSettings
from controller.settings.kube import KubernetesSettings
from models.configfile import problem, section
from models.settings import FabricSettings
from proto.fabric.v1 import DEFAULT_ADDRESS
from topology.conflicts import Mode, Prefer, SourcePolicy
from topology.identity import IdentityMap


@section
class ApiTls:
    cert: FilePath
    """the server certificate chain (PEM)"""
    key: FilePath
    """the server's private key (PEM)"""
    client_ca: FilePath
    """the CA that signs client certificates (nodes and operators)"""


def _tls_unless_insecure(value: ApiTls | None, info: ValidationInfo) -> ApiTls | None:
    insecure = info.data.get("insecure", True)  # absent: its own problem is reported
    if value is None and not insecure:
        raise problem("needs tls: {cert, key, client_ca} (mutual TLS), or insecure: true for development", value=None)
    if value is not None and insecure:
        raise problem("is set together with insecure: true; insecure would silently win: choose one", value="tls")
    return value


def is_loopback(address: Address) -> bool:
    """A unix socket, or a TCP listener on a loopback address."""
    if address.kind == "unix":
        return True
    host = address.target.rpartition(":")[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _insecure_only_on_loopback(value: bool, info: ValidationInfo) -> bool:
    if value:
        exposed = [str(a) for a in info.data.get("listen", ()) if not is_loopback(a)]
        if exposed:
            raise problem(
                f"with a non-loopback listener ({', '.join(exposed)}) would make anyone who reaches it an operator",
                value=True,
            )
    return value


def _token_listen_needs_tls(value: tuple[Address, ...], info: ValidationInfo) -> tuple[Address, ...]:
    if value and info.data.get("tls") is None:
        raise problem("needs tls (a bearer token is never sent in plaintext)", value=[str(a) for a in value])
    return value


@section
class ApiSettings:
    listen: Annotated[tuple[ListenAddress, ...], CommaList, Field(min_length=1)] = (parse_address(DEFAULT_ADDRESS),)
    """API listeners: ``unix:///path.sock`` (reachable from every network namespace of the host) or ``HOST:PORT``"""
    insecure: Annotated[bool, AfterValidator(_insecure_only_on_loopback)] = False
    """plaintext, no client authentication, every caller is an operator (development only; unix sockets and
    loopback TCP listeners only, never with ``tls``)"""
    tls: Annotated[ApiTls | None, AfterValidator(_tls_unless_insecure), Field(validate_default=True)] = None
    """mutual TLS on every listener; a client certificate's common name is the caller's identity"""
    token_listen: Annotated[tuple[ListenAddress, ...], CommaList, AfterValidator(_token_listen_needs_tls)] = ()
    """TLS listeners (``api.tls``'s server certificate, no client certificate asked) where nodes authenticate with
    their ServiceAccount token (``kubernetes.node_tokens``) instead of a client certificate"""
    operators: Annotated[tuple[Annotated[str, Field(min_length=1)], ...], CommaList] = ("fabricctl",)
    """client certificate identities with operator rights; other identities are node names"""
    attach_timeout: Duration = 10.0
    """the longest an Attach waits for its leaf before answering UNAVAILABLE"""
    front_end: Literal["auto", "go", "python"] = "auto"
    """what serves gRPC and TLS: ``go`` (fabricd-front, a process fabricd starts, about half of fabricd's CPU per
    call), ``python`` (grpc.aio in fabricd's process) or ``auto`` (``go`` when fabricd-front is installed, else
    ``python`` with a warning)"""
    front_end_binary: str = ""
    """fabricd-front's path (empty: beside fabricd's Python interpreter, then on PATH)"""


@section
class StoreSettings:
    backend: Literal["sqlite", "etcd"] = "sqlite"
    """the durable store of the intent: ``sqlite`` (embedded, one fabricd) or ``etcd`` (several fabricd, one
    leader: docs/ha.md)"""
    path: FilePath = Path("/var/lib/fabricd/fabricd.db")
    """the SQLite database (one fabricd per store: a lock file beside it)"""
    endpoints: Endpoints = ()
    """etcd: the members' client URLs (``http://HOST:PORT``, ``https://HOST:PORT``)"""
    prefix: str = "/fabricd"
    """etcd: the key prefix of this fabric's intent"""
    tls: EtcdTlsSettings | None = None
    """etcd: TLS to the members (https endpoints)"""
    timeout: Duration = 5.0
    """etcd: the deadline of every call; a write that misses it answers UNAVAILABLE and ends the leader's term"""
    max_txn_ops: Annotated[int, Field(ge=8, le=100_000)] = 128
    """etcd: operations per transaction (etcd's ``--max-txn-ops``; checked at start)"""
    max_request_bytes: Annotated[int, Field(ge=64 * 1024)] = 1536 * 1024
    """etcd: bytes per request (etcd's ``--max-request-bytes``; checked at start)"""


@section
class TopologySettings:
    mode: Mode = SourcePolicy().mode
    """who places a NIC: ``static`` (the port map), ``lldp`` (discovery) or ``merged`` (both; see docs/topology.md)"""
    prefer: Prefer = SourcePolicy().prefer
    """which source wins when static and LLDP disagree (reported either way)"""
    hold_time: Duration = 60.0
    """how long a lost switch's links are kept before they go stale"""
    lldp_burst: Annotated[int, Field(ge=100, le=1_000_000)] = 4000
    """LLDP notifications of one switch decoded at once (a whole first dump); beyond it ``lldp_rate``"""
    lldp_rate: Annotated[float, Field(gt=0, le=1_000_000)] = 400.0
    """LLDP notifications per second one switch may make fabricd decode, steady (a switch streaming without end is
    read more slowly, so it cannot take the loop that serves the API)"""
    identity: IdentityMap = dataclasses.field(default_factory=IdentityMap)
    """how LLDP system names and port ids map to Kubernetes nodes and NICs (docs/topology.md)"""

    @property
    def policy(self) -> SourcePolicy:
        return SourcePolicy(mode=self.mode, prefer=self.prefer)


@section
class GnmiSettings:
    timeout: Duration = 10.0
    """deadline of every gNMI call"""
    connect_timeout: Duration = 5.0
    """deadline of the first call (Capabilities) of a session"""
    keepalive: Duration = 30.0
    """HTTP/2 keepalive interval; the switch's gRPC server must allow it (grpc's default policy refuses pings more
    often than every 5 min)"""
    max_message_bytes: Annotated[int, Field(ge=4 * 1024 * 1024)] = 64 * 1024 * 1024
    """the largest gNMI message accepted from a switch"""


@section
class ReconcileSettings:
    drift: Literal["revert", "report"] = "revert"
    """what to do with out-of-band changes of owned configuration: ``revert`` them or only ``report`` them"""
    full_interval: Duration = 300.0
    """periodic full verification of every switch (jittered)"""
    coalesce: bool = True
    """coalesce pending changes into one Set per pass; false: one Set per change, in order (a benchmark baseline)"""
    backoff_initial: Duration = 0.5
    """first retry delay after a failure (doubling, full jitter)"""
    backoff_max: Duration = 30.0
    """longest retry delay"""


@section
class MetricsSettings:
    listen: HostPort = "127.0.0.1:9464"
    """``/metrics``, ``/healthz``, ``/readyz``"""


@section
class LogSettings:
    level: Literal["debug", "info", "warning", "error"] = "info"
    """the lowest level logged"""
    format: Literal["text", "json"] = "text"
    """``text`` lines or one JSON object per line"""


@section
class Settings:
    api: ApiSettings
    """the gRPC API (fabric.v1) that CNI plugins and fabricctl call (no default: TLS or insecure is a choice)"""
    store: StoreSettings = dataclasses.field(default_factory=StoreSettings)
    """the durable intent"""
    inventory: FilePath | None = None
    """the switch inventory file (its keys: docs/settings.md); relative paths are relative to the settings file"""
    port_map: FilePath | None = None
    """an optional static port map (docs/port-map.md)"""
    reload_poll: Duration = 5.0
    """how often the inventory, the port map, the files the inventory names and the API's TLS files are checked
    for changes (a change reloads them, as SIGHUP does); 0 = only on SIGHUP"""
    topology: TopologySettings = dataclasses.field(default_factory=TopologySettings)
    """topology sources and identity"""
    gnmi: GnmiSettings = dataclasses.field(default_factory=GnmiSettings)
    """gNMI sessions to the switches"""
    reconcile: ReconcileSettings = dataclasses.field(default_factory=ReconcileSettings)
    """how switches are kept converged"""
    metrics: MetricsSettings = dataclasses.field(default_factory=MetricsSettings)
    """the metrics and health port"""
    log: LogSettings = dataclasses.field(default_factory=LogSettings)
    """structured logs on stderr"""
    fabric: FabricSettings = dataclasses.field(default_factory=FabricSettings)
    """the overlay policy (EVPN, VLAN pools, ports)"""
    kubernetes: KubernetesSettings = dataclasses.field(default_factory=KubernetesSettings)
    """NetworkAttachmentDefinitions, Pods and Nodes from a Kubernetes API server (opt-in)"""
    ha: HaSettings = dataclasses.field(default_factory=HaSettings)
    """high availability with the etcd store: leader election, fencing, followers (docs/ha.md)"""

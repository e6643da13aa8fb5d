"""The API server: one grpc.aio server, TCP and/or unix socket listeners.

Besides ``fabric.v1.Fabric`` it serves the standard ``grpc.health.v1`` health
service and server reflection. Health answers SERVING only while the daemon
says so (``set_serving``): the store is open and the API is up.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Sequence

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from controller.api.tlsfiles import ServerTLS
from controller.log import get_logger
from controller.settings.address import Address
from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc

log = get_logger("api")

SERVICE_NAME: str = fabric_pb2.DESCRIPTOR.services_by_name["Fabric"].full_name


@dataclasses.dataclass(slots=True)
class ApiServer:
    server: grpc.aio.Server
    health: health.aio.HealthServicer
    bound: list[Address]
    certificates: _Certificates | None = None

    async def update_tls(self, tls: ServerTLS) -> None:
        """New TLS material (checked by controller.api.tlsfiles): every
        handshake from now on uses it; established connections keep theirs."""
        if self.certificates is None:
            raise ValueError("the API serves no TLS")
        self.certificates.current = tls

    async def set_serving(self, serving: bool) -> None:
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        for name in ("", SERVICE_NAME):
            await self.health.set(name, status)

    async def stop(self, grace: float | None = 5.0) -> None:
        await self.set_serving(False)
        await self.server.stop(grace)
        for addr in self.bound:
            if addr.kind == "unix":
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(addr.target)


async def start_server(
    servicer: fabric_pb2_grpc.FabricServicer,
    listeners: Sequence[Address],
    *,
    tls: ServerTLS | None = None,
    interceptors: Sequence[grpc.aio.ServerInterceptor] = (),
    token_listeners: Sequence[Address] = (),
) -> ApiServer:
    """Start serving on every listener. With ``tls`` None the listeners are
    plaintext: the caller decides (settings say so explicitly) and warns.
    ``token_listeners`` serve TLS with the same certificate but ask for no
    client certificate: callers there are nodes with a bearer token (the
    handlers check it); they need ``tls``."""
    if not listeners:
        raise ValueError("at least one listener is needed")
    server = grpc.aio.server(
        interceptors=list(interceptors),
        options=[("grpc.so_reuseport", 0), ("grpc.max_receive_message_length", 4 * 1024 * 1024)],
    )
    fabric_pb2_grpc.add_FabricServicer_to_server(servicer, server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (SERVICE_NAME, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME),
        server,
    )
    certificates = credentials = None
    if tls is not None:
        certificates = _Certificates(tls)
        credentials = certificates.credentials(mutual=tls.client_ca is not None)
    token_credentials = None
    if token_listeners:
        if certificates is None:
            raise ValueError("token listeners need TLS")
        token_credentials = certificates.credentials(mutual=False)
    bound: list[Address] = []
    plan = [(a, credentials) for a in listeners] + [(a, token_credentials) for a in token_listeners]
    for addr, creds in plan:
        if addr.kind == "unix":
            prepare_unix_path(addr.target)
        port = server.add_secure_port(addr.grpc, creds) if creds else server.add_insecure_port(addr.grpc)
        bound.append(addr.on_port(port))
    await server.start()
    for addr in bound:
        if addr.kind == "unix":
            os.chmod(addr.target, 0o660)
    api = ApiServer(server=server, health=health_servicer, bound=bound, certificates=certificates)
    await api.set_serving(False)
    log.info("api.listening", addresses=",".join(str(a) for a in bound), tls=credentials is not None)
    return api


def prepare_unix_path(path: str) -> None:
    """Create the socket's directory; remove a stale socket file left by a
    crashed run (a live server on it is refused by the single-writer guard
    long before this point)."""
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


class _Certificates:
    """The material grpc's handshakes take: each credential's fetcher (run by
    grpc before a handshake) hands over ``current`` once it changed."""

    def __init__(self, tls: ServerTLS) -> None:
        self.current = tls

    def credentials(self, *, mutual: bool) -> grpc.ServerCredentials:
        def config(tls: ServerTLS) -> grpc.ServerCertificateConfiguration:
            return grpc.ssl_server_certificate_configuration(
                [(tls.private_key, tls.cert_chain)], root_certificates=tls.client_ca if mutual else None
            )

        given = self.current

        def fetch() -> grpc.ServerCertificateConfiguration | None:
            nonlocal given
            tls = self.current
            if tls is given:
                return None  # unchanged
            given = tls
            return config(tls)

        return grpc.dynamic_ssl_server_credentials(config(given), fetch, require_client_authentication=mutual)

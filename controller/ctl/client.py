"""The connection to fabricd: address, TLS material, deadline; every call
goes through :meth:`Client.call`, which turns gRPC errors into
:class:`~controller.ctl.errors.CtlError` (the one translation point)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import grpc

from controller.ctl.errors import USAGE, CtlError, from_rpc
from controller.settings.address import AddressError, parse_address
from proto.fabric.v1 import DEFAULT_ADDRESS

T = TypeVar("T")
DEFAULT_SERVER = DEFAULT_ADDRESS


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ConnectOptions:
    server: str = DEFAULT_SERVER
    ca: str | None = None
    cert: str | None = None
    key: str | None = None
    server_name: str | None = None
    timeout: float = 10.0

    @property
    def tls(self) -> bool:
        return bool(self.ca or self.cert or self.key)


def _read(path: str, flag: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise CtlError(f"{flag} {path}: cannot be read: {e.strerror}", USAGE) from None


def _credentials(o: ConnectOptions) -> grpc.ChannelCredentials:
    if bool(o.cert) != bool(o.key):
        raise CtlError("--cert and --key go together (the client certificate and its private key)", USAGE)
    return grpc.ssl_channel_credentials(
        root_certificates=_read(o.ca, "--ca") if o.ca else None,
        private_key=_read(o.key, "--key") if o.key else None,
        certificate_chain=_read(o.cert, "--cert") if o.cert else None,
    )


class Client:
    def __init__(self, options: ConnectOptions) -> None:
        self.options = options
        try:
            address = parse_address(options.server)
        except AddressError as e:
            raise CtlError(f"--server: {e}", USAGE) from None
        channel_options: list[tuple[str, Any]] = [("grpc.max_receive_message_length", 64 * 1024 * 1024)]
        if options.server_name:
            channel_options.append(("grpc.ssl_target_name_override", options.server_name))
        if options.tls:
            self.channel = grpc.secure_channel(address.grpc, _credentials(options), options=channel_options)
        else:
            self.channel = grpc.insecure_channel(address.grpc, options=channel_options)
        self._fabric: Any = None

    @property
    def fabric(self) -> Any:
        """The fabric.v1.Fabric stub (proto modules load on first use)."""
        if self._fabric is None:
            from proto.fabric.v1 import fabric_pb2_grpc

            self._fabric = fabric_pb2_grpc.FabricStub(self.channel)
        return self._fabric

    def error(self, e: grpc.RpcError) -> CtlError:
        return from_rpc(e, self.options.server, tls=self.options.tls)

    def call(self, method: Callable[..., T], request: Any) -> T:
        try:
            return method(request, timeout=self.options.timeout)
        except grpc.RpcError as e:
            raise self.error(e) from None

    def stream(self, method: Callable[..., Any], request: Any) -> Iterator[Any]:
        """A server stream without a deadline (it ends with Ctrl-C)."""
        call = method(request)
        try:
            yield from call
        except grpc.RpcError as e:
            if e.code() is grpc.StatusCode.CANCELLED:
                return
            raise self.error(e) from None
        finally:
            call.cancel()

    def close(self) -> None:
        self.channel.close()

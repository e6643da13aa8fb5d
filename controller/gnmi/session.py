"""One gNMI session to one switch (grpc.aio + pygnmi's stubs).

Every unary call has a deadline; TLS verifies the switch against the
configured CA (optionally with a client certificate; see
:mod:`controller.gnmi.channels` for ``tls.skip_verify``); username/password go
in the metadata of every RPC; HTTP/2 keepalives detect a dead switch. Paths
go out as the platform renders them: native paths carry no origin; values are
JSON_IETF. gRPC errors are translated here, once, into the classes of
:mod:`controller.gnmi.errors`; a Set the switch refuses (SR Linux: a failed
commit, with its reason) is a :class:`SwitchRejected` naming that reason.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import grpc
from pygnmi.spec.v080 import gnmi_pb2, gnmi_pb2_grpc

from controller.gnmi.channels import CHANNELS, ChannelKey
from controller.gnmi.convert import MalformedValue, notification_items, set_request, to_pb
from controller.gnmi.errors import GnmiError, SwitchMalformed, SwitchUnavailable, classify
from controller.settings.inventory import SwitchConfig
from controller.settings.model import GnmiSettings
from models.diff import SetOps
from models.oc.path import Path, PathError

Json = Any

_TLS_HINTS = (
    ("certificate has expired", "the switch's TLS certificate has expired"),
    ("Hostname Verification Check failed", "the switch's TLS certificate is not issued to tls.server_name"),
    ("unable to get local issuer", "the switch's TLS certificate is not signed by the inventory's tls.ca_file"),
    ("CERTIFICATE_REQUIRED", "the switch requires a client certificate (tls.client_cert_file/client_key_file)"),
    ("HANDSHAKE_FAILURE", "TLS handshake refused by the switch (does it require a client certificate?)"),
    ("certificate_unknown", "the switch does not accept fabricd's client certificate"),
    ("Tls handshake failed", "TLS handshake with the switch failed"),
)


def tls_hint(details: str) -> str:
    """A sentence a person can act on for the usual TLS failures."""
    low = details.lower()
    return next((hint for needle, hint in _TLS_HINTS if needle.lower() in low), "")


class GnmiSession:
    def __init__(self, cfg: SwitchConfig, settings: GnmiSettings) -> None:
        self.cfg = cfg
        self.settings = settings
        self._channel_key: ChannelKey | None = None
        self._stub: gnmi_pb2_grpc.gNMIStub | None = None
        self._closed = False
        self.metadata: tuple[tuple[str, str], ...] = (
            (("username", cfg.username), ("password", cfg.password)) if cfg.username else ()
        )

    def _error(self, method: str, e: grpc.aio.AioRpcError) -> GnmiError:
        details = e.details() or ""
        hint = tls_hint(details)
        if not hint and self.cfg.tls and self.cfg.tls.cert_pem is None and "socket closed" in details.lower():
            # TLS 1.3: a server that wants a client certificate just closes the connection
            hint = "the switch closed the connection during TLS set-up: does it require a client certificate?"
        return classify(self.cfg.name, method, e.code().name, f"{hint}: {details}" if hint else details)

    async def _connected(self) -> gnmi_pb2_grpc.gNMIStub:
        """The stub on the switch's shared channel (opened on first use)."""
        if self._closed:
            raise SwitchUnavailable(self.cfg.name, "connect", "CANCELLED", "the session is closed")
        if self._stub is None:
            channel, self._channel_key = await CHANNELS.acquire(self.cfg, self.settings)
            self._stub = gnmi_pb2_grpc.gNMIStub(channel)
        return self._stub

    async def capabilities(self) -> gnmi_pb2.CapabilityResponse:
        stub = await self._connected()
        try:
            return await stub.Capabilities(
                gnmi_pb2.CapabilityRequest(), timeout=self.settings.connect_timeout, metadata=self.metadata
            )
        except grpc.aio.AioRpcError as e:
            raise self._error("Capabilities", e) from None

    async def get(
        self, paths: Sequence[Path], *, datatype: int = gnmi_pb2.GetRequest.CONFIG
    ) -> list[tuple[str, Path, Json]]:
        req = gnmi_pb2.GetRequest(path=[to_pb(p) for p in paths], type=datatype, encoding=gnmi_pb2.JSON_IETF)
        stub = await self._connected()
        try:
            resp = await stub.Get(req, timeout=self.settings.timeout, metadata=self.metadata)
        except grpc.aio.AioRpcError as e:
            raise self._error("Get", e) from None
        try:
            return [item for n in resp.notification for item in notification_items(n)]
        except (MalformedValue, PathError) as e:
            raise SwitchMalformed(self.cfg.name, "Get", "DATA_LOSS", f"malformed response: {e}") from None

    async def set(self, ops: SetOps, *, deadline: float | None = None) -> gnmi_pb2.SetResponse:
        stub = await self._connected()
        try:
            return await stub.Set(set_request(ops), timeout=deadline or self.settings.timeout, metadata=self.metadata)
        except grpc.aio.AioRpcError as e:
            raise self._error("Set", e) from None

    async def subscribe(
        self,
        paths: Sequence[Path],
        *,
        updates_only: bool = False,
        mode: int = gnmi_pb2.ON_CHANGE,
        sample_interval_ns: int = 10_000_000_000,
    ) -> AsyncIterator[gnmi_pb2.SubscribeResponse]:
        """A STREAM subscription; ends with GnmiError when the stream breaks."""
        interval = sample_interval_ns if mode == gnmi_pb2.SAMPLE else 0
        request = gnmi_pb2.SubscribeRequest(
            subscribe=gnmi_pb2.SubscriptionList(
                subscription=[gnmi_pb2.Subscription(path=to_pb(p), mode=mode, sample_interval=interval) for p in paths],
                mode=gnmi_pb2.SubscriptionList.STREAM,
                encoding=gnmi_pb2.JSON_IETF,
                updates_only=updates_only,
            )
        )
        stub = await self._connected()
        # the request is written, never half-closed (that could end the
        # stream); no request iterator: its task would be cancelled with the
        # call, and grpc formats a traceback for each one (3 per switch at start-up)
        call = stub.Subscribe(metadata=self.metadata)
        try:
            await call.write(request)
            async for resp in call:
                yield resp
        except grpc.aio.AioRpcError as e:
            raise self._error("Subscribe", e) from None
        finally:
            call.cancel()
        raise SwitchUnavailable(self.cfg.name, "Subscribe", "UNAVAILABLE", "the switch ended the stream")

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            if self._channel_key is not None:
                await CHANNELS.release(self._channel_key)

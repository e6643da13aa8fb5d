"""gRPC channels to the switches: one HTTP/2 connection per switch and
connection settings, shared by the sessions of its reconciler and of
discovery (half the TLS handshakes and connections of a big fabric), closed
when the last session closes.

TLS verifies the switch against the inventory's CA. Only where the inventory
says ``tls.skip_verify: true`` (labs) is the switch taken at its word: its
certificate is fetched first and pinned for this channel (gRPC has no
"verify nothing" mode), which is logged as a warning every time.
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from typing import Any

import grpc
from cryptography import x509

from controller.gnmi.errors import SwitchUnavailable
from controller.log import get_logger
from controller.settings.inventory import SwitchConfig
from controller.settings.model import GnmiSettings

log = get_logger("gnmi")

ChannelKey = tuple[str, str]


def split_address(address: str) -> tuple[str, int]:
    """``host:port`` or ``[v6]:port`` -> (host, port)."""
    host, _, port = address.rpartition(":")
    return host.removeprefix("[").removesuffix("]"), int(port)


async def fetch_certificate(cfg: SwitchConfig, deadline: float) -> bytes:
    """The certificate the switch presents (PEM), unverified; ``deadline``
    seconds at most."""
    host, port = split_address(cfg.address)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["h2"])  # gRPC servers refuse TLS without it
    try:
        async with asyncio.timeout(deadline):
            _, writer = await asyncio.open_connection(host, port, ssl=ctx)
            try:
                der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
            finally:
                writer.close()
    except (OSError, TimeoutError, ssl.SSLError) as e:
        why = "timed out" if isinstance(e, TimeoutError) else str(e)
        raise SwitchUnavailable(cfg.name, "connect", "UNAVAILABLE", f"cannot read its TLS certificate: {why}") from None
    if not der:
        raise SwitchUnavailable(cfg.name, "connect", "UNAVAILABLE", "presented no TLS certificate")
    return ssl.DER_cert_to_PEM_cert(der).encode()


def certificate_name(pem: bytes) -> str:
    """A name the certificate is issued to (DNS name, common name or IP), for
    the channel's target name."""
    cert = x509.load_pem_x509_certificate(pem)
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        sans = None
    if sans is not None:
        dns = sans.get_values_for_type(x509.DNSName)
        if dns:
            return str(dns[0])
    cn = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    if cn:
        return str(cn[0].value)
    ips = sans.get_values_for_type(x509.IPAddress) if sans is not None else []
    return str(ips[0]) if ips else ""


def _options(cfg: SwitchConfig, s: GnmiSettings, target_name: str) -> list[tuple[str, Any]]:
    opts: list[tuple[str, Any]] = [
        ("grpc.keepalive_time_ms", int(s.keepalive * 1000)),
        ("grpc.keepalive_timeout_ms", int(max(1.0, s.keepalive / 2) * 1000)),
        # pings only while calls are open (the drift and LLDP streams always are)
        ("grpc.keepalive_permit_without_calls", 0),
        ("grpc.http2.max_pings_without_data", 0),
        ("grpc.max_receive_message_length", s.max_message_bytes),
        ("grpc.initial_reconnect_backoff_ms", 500),
        ("grpc.max_reconnect_backoff_ms", 10_000),
    ]
    if target_name:
        opts.append(("grpc.ssl_target_name_override", target_name))
    return opts


async def new_channel(cfg: SwitchConfig, settings: GnmiSettings) -> grpc.aio.Channel:
    tls = cfg.tls
    if tls is None:
        return grpc.aio.insecure_channel(cfg.address, options=_options(cfg, settings, ""))
    roots, name = tls.ca_pem, tls.server_name
    if tls.skip_verify:
        roots = await fetch_certificate(cfg, settings.connect_timeout)
        name = certificate_name(roots)
        log.warning(
            "tls.verify.skipped",
            switch=cfg.name,
            address=cfg.address,
            pinned_sha256=hashlib.sha256(roots).hexdigest()[:16],
            message="the switch's certificate is not verified (inventory tls.skip_verify: true): anyone on the "
            "path can impersonate it; give tls.ca_file instead",
        )
    creds = grpc.ssl_channel_credentials(
        root_certificates=roots, private_key=tls.key_pem, certificate_chain=tls.cert_pem
    )
    return grpc.aio.secure_channel(cfg.address, creds, options=_options(cfg, settings, name))


class Channels:
    def __init__(self) -> None:
        self._open: dict[ChannelKey, tuple[grpc.aio.Channel, int]] = {}
        self._opening: dict[ChannelKey, asyncio.Future[grpc.aio.Channel]] = {}

    async def acquire(self, cfg: SwitchConfig, settings: GnmiSettings) -> tuple[grpc.aio.Channel, ChannelKey]:
        key = (cfg.name, cfg.session_key() + repr(settings))
        while key in self._opening:  # another session is opening it: share it
            await asyncio.wait({self._opening[key]})
        entry = self._open.get(key)
        if entry is None:
            opening = asyncio.ensure_future(new_channel(cfg, settings))
            self._opening[key] = opening
            try:
                channel = await opening
            finally:
                del self._opening[key]
            entry = (channel, 0)
        self._open[key] = (entry[0], entry[1] + 1)
        return entry[0], key

    async def release(self, key: ChannelKey) -> None:
        channel, users = self._open[key]
        if users > 1:
            self._open[key] = (channel, users - 1)
            return
        del self._open[key]
        await channel.close(grace=None)


CHANNELS = Channels()

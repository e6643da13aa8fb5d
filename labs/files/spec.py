"""The seam between the lab runner and the switch emulator.

The runner turns a containerlab topology file into one :class:`SwitchSpec`
per switch (day-0 configuration, LLDP neighbours, TLS material,
credentials); the emulator host serves one gNMI target per spec.

Host process contract (used by ``fabric-lab up``)::

    python -m labs.emulator.host_process --specs SPECS.json --ready READY.json

``SPECS.json`` is :func:`specs_to_json` output. Once every target listens the
host writes ``READY.json`` atomically: ``{"pid": N, "switches": {"sw1":
"127.0.0.1:PORT", ...}, "admin": "ADDRESS"}``. It serves until SIGTERM, then
stops every server and exits 0; on a start-up failure it exits non-zero with
the reason on stderr and writes no READY file.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

Validate = Literal["fast", "full"]
Dataplane = Literal["none", "linux"]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class LldpNeighborSpec:
    """One LLDP neighbour seen on a switch port (OpenConfig lldp state)."""

    local_port: str  # OpenConfig name of the switch's port
    system_name: str
    port_id: str
    port_id_type: str = "INTERFACE_NAME"
    chassis_id: str
    chassis_id_type: str = "MAC_ADDRESS"
    port_description: str = ""
    system_description: str = ""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Credentials:
    username: str
    password: str

    def __repr__(self) -> str:  # never print the password
        return f"Credentials(username={self.username!r}, password=***)"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ServerTls:
    """PEM material of a target's TLS server. ``client_ca``: require client
    certificates signed by it (mutual TLS)."""

    cert_pem: bytes
    key_pem: bytes
    client_ca_pem: bytes | None = None

    def __repr__(self) -> str:
        return "ServerTls(cert_pem=..., key_pem=***)"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class LinuxSwitchSpec:
    """Where a switch of a Linux lab lives (``dataplane: linux``): the
    emulator host, in the root namespace, acts on it through these."""

    netns: str  # the switch's network namespace
    lldp_socket: str  # its lldpd's control socket
    frr_dir: str  # FRR's vty socket directory (vtysh --vty_socket)
    asn: int  # underlay ASN (router bgp ASN)
    router_id: str  # loopback /32, the VTEP address
    #: OpenConfig port name -> Linux interface name
    ports: Mapping[str, str]
    #: "kernel" (802.1Q devices) or "tagger" (userspace tagger, cni.vlan.tagger)
    vlan_backend: str = "kernel"
    #: the tagger's control socket in the switch namespace (vlan_backend tagger)
    vlan_socket: str | None = None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SwitchSpec:
    name: str
    platform: str
    role: str  # "leaf" | "spine"
    #: OpenConfig names of the switch's ports (day-0 declares them all)
    ports: tuple[str, ...]
    #: startup configuration, a JSON_IETF document from the root
    day0: Mapping[str, Any]
    lldp: tuple[LldpNeighborSpec, ...] = ()
    tls: ServerTls | None = None  # None: plaintext (only when the lab says so)
    credentials: Credentials | None = None  # None: no authentication
    validate: Validate = "fast"
    dataplane: Dataplane = "none"
    #: address to bind, "127.0.0.1:0" picks a free port
    listen: str = "127.0.0.1:0"
    #: dataplane linux: the switch's namespace and daemons
    linux: LinuxSwitchSpec | None = None


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode()


def _unb64(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)


def spec_to_dict(spec: SwitchSpec) -> dict[str, Any]:
    d: dict[str, Any] = {
        "name": spec.name,
        "platform": spec.platform,
        "role": spec.role,
        "ports": list(spec.ports),
        "day0": spec.day0,
        "lldp": [dataclasses.asdict(n) for n in spec.lldp],
        "validate": spec.validate,
        "dataplane": spec.dataplane,
        "listen": spec.listen,
        "tls": None,
        "credentials": None,
        "linux": None,
    }
    if spec.linux:
        d["linux"] = {f.name: getattr(spec.linux, f.name) for f in dataclasses.fields(spec.linux)}
        d["linux"]["ports"] = dict(spec.linux.ports)
    if spec.tls:
        d["tls"] = {
            "cert_pem": _b64(spec.tls.cert_pem),
            "key_pem": _b64(spec.tls.key_pem),
            "client_ca_pem": _b64(spec.tls.client_ca_pem),
        }
    if spec.credentials:
        d["credentials"] = {"username": spec.credentials.username, "password": spec.credentials.password}
    return d


def spec_from_dict(d: Mapping[str, Any]) -> SwitchSpec:
    tls = d.get("tls")
    creds = d.get("credentials")
    linux = d.get("linux")
    return SwitchSpec(
        name=d["name"],
        platform=d["platform"],
        role=d["role"],
        ports=tuple(d["ports"]),
        day0=d["day0"],
        lldp=tuple(LldpNeighborSpec(**n) for n in d.get("lldp", ())),
        tls=ServerTls(
            cert_pem=_unb64(tls["cert_pem"]) or b"",
            key_pem=_unb64(tls["key_pem"]) or b"",
            client_ca_pem=_unb64(tls.get("client_ca_pem")),
        )
        if tls
        else None,
        credentials=Credentials(**creds) if creds else None,
        validate=d.get("validate", "fast"),
        dataplane=d.get("dataplane", "none"),
        listen=d.get("listen", "127.0.0.1:0"),
        linux=LinuxSwitchSpec(**linux) if linux else None,
    )


def specs_to_json(specs: Sequence[SwitchSpec], *, admin: str) -> str:
    return json.dumps({"admin": admin, "switches": [spec_to_dict(s) for s in specs]})


def specs_from_json(text: str) -> tuple[list[SwitchSpec], str]:
    doc = json.loads(text)
    return [spec_from_dict(s) for s in doc["switches"]], doc["admin"]

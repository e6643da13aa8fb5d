"""The switch inventory: which switches fabricd manages and how to reach them.

YAML (``fabric-lab inventory`` writes one; labs/README.md)::

    version: 1
    switches:
      sw1:
        address: 127.0.0.1:57401        # gNMI target HOST:PORT
        platform: openconfig
        role: leaf                      # leaf | spine (spines are not configured)
        asn: 65001                      # day-0 underlay, read only
        router_id: 10.0.0.11            # VTEP address (explicit RDs use it)
        vtep_interface: loopback0       # optional, the platform's default otherwise
        plaintext: false                # true only in labs: no TLS at all
        tls:
          ca_file: /path/ca.pem         # verifies the switch
          server_name: sw1              # name in the switch certificate
          client_cert_file: /path/client.pem   # optional client certificate (mTLS)
          client_key_file: /path/client.key
        credentials:
          username: admin
          password_file: /path/password # or password_env: VAR

``switches`` may also be a list of mappings with a ``name`` each. Other keys
(``lab``, ``evpn_asn``, ``client_auth``) are informational.

File paths are relative to the inventory file. Secrets are read at load time
and never logged; the fingerprint of a switch's connection settings tells
which sessions must restart on reload.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from models.errors import Problem, ValidationError
from models.ids import SwitchName
from models.platforms import UnknownPlatformError, profile
from models.platforms.base import LeafInfo


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SwitchTls:
    ca_pem: bytes
    server_name: str = ""
    cert_pem: bytes | None = None
    key_pem: bytes | None = None

    def __repr__(self) -> str:
        return f"SwitchTls(server_name={self.server_name!r}, client_cert={self.cert_pem is not None})"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SwitchConfig:
    name: SwitchName
    address: str
    platform: str
    role: str
    asn: int = 0
    router_id: str = ""
    vtep_interface: str = ""
    tls: SwitchTls | None = None
    username: str = ""
    password: str = dataclasses.field(default="", repr=False)

    @property
    def is_leaf(self) -> bool:
        return self.role == "leaf"

    @property
    def leaf_info(self) -> LeafInfo:
        return LeafInfo(
            name=self.name,
            platform=self.platform,
            router_id=self.router_id,
            asn=self.asn,
            vtep_interface=self.vtep_interface,
        )

    def fingerprint(self) -> str:
        """Changes exactly when the session must be re-established."""
        h = hashlib.sha256()
        for part in (self.address, self.platform, self.username, self.password):
            h.update(part.encode() + b"\0")
        if self.tls:
            for pem in (self.tls.ca_pem, self.tls.cert_pem or b"", self.tls.key_pem or b""):
                h.update(hashlib.sha256(pem).digest())
            h.update(self.tls.server_name.encode())
        return h.hexdigest()[:16]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Inventory:
    switches: tuple[SwitchConfig, ...]

    def by_name(self) -> dict[SwitchName, SwitchConfig]:
        return {s.name: s for s in self.switches}

    @property
    def leaves(self) -> list[SwitchConfig]:
        return [s for s in self.switches if s.is_leaf]


def load_inventory(path: str | Path) -> Inventory:
    p = Path(path)
    try:
        doc = yaml.safe_load(p.read_text())
    except OSError as e:
        raise ValidationError([Problem("inventory", str(p), f"cannot be read: {e.strerror}")]) from None
    except yaml.YAMLError as e:
        raise ValidationError([Problem("inventory", str(p), f"is not valid YAML: {e}")]) from None
    return parse_inventory(doc, base=p.parent, source=str(p))


def parse_inventory(doc: Any, *, base: Path = Path("."), source: str = "inventory") -> Inventory:
    out: list[Problem] = []
    entries = doc.get("switches") if isinstance(doc, Mapping) else None
    if isinstance(entries, Mapping):
        entries = [{"name": k, **v} if isinstance(v, Mapping) else v for k, v in entries.items()]
    if not isinstance(entries, list):
        raise ValidationError([Problem(source, type(doc).__name__, "must be a mapping with `switches:`")])
    switches: list[SwitchConfig] = []
    seen: set[str] = set()
    for i, raw in enumerate(entries):
        field = f"{source}: switches[{i}]"
        if not isinstance(raw, Mapping):
            out.append(Problem(field, raw, "must be a mapping"))
            continue
        if raw.get("name"):
            field = f"{source}: switches.{raw['name']}"
        sw = _switch(raw, field, base, out)
        if sw is None:
            continue
        if sw.name in seen:
            out.append(Problem(f"{field}.name", sw.name, "is listed twice"))
        seen.add(sw.name)
        switches.append(sw)
    if out:
        raise ValidationError(out)
    return Inventory(switches=tuple(switches))


def _switch(raw: Mapping[str, Any], field: str, base: Path, out: list[Problem]) -> SwitchConfig | None:
    n = len(out)
    name = str(raw.get("name") or "")
    if not name:
        out.append(Problem(f"{field}.name", raw.get("name"), "is required"))
    address = str(raw.get("address") or "")
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit():
        out.append(Problem(f"{field}.address", raw.get("address"), "is not HOST:PORT"))
    platform = str(raw.get("platform") or "")
    try:
        profile(platform)
    except UnknownPlatformError as e:
        known = str(e).partition("(")[2].rstrip(")")
        out.append(Problem(f"{field}.platform", platform, f"is not a known platform ({known})"))
    role = str(raw.get("role") or "")
    if role not in ("leaf", "spine"):
        out.append(Problem(f"{field}.role", role, "is not leaf or spine"))
    router_id = str(raw.get("router_id") or "")
    if role == "leaf" and not router_id:
        out.append(Problem(f"{field}.router_id", raw.get("router_id"), "is required for a leaf (its VTEP address)"))
    asn = raw.get("asn", 0)
    if not isinstance(asn, int) or not 0 <= asn <= 4294967295:
        out.append(Problem(f"{field}.asn", asn, "is not an ASN"))
    tls = None
    if not raw.get("plaintext"):
        tls = _tls(raw.get("tls"), f"{field}.tls", base, out)
    creds = raw.get("credentials") or {}
    username = str(creds.get("username") or "")
    password = _password(creds, f"{field}.credentials", base, out)
    if len(out) > n:
        return None
    return SwitchConfig(
        name=SwitchName(name),
        address=address,
        platform=platform,
        role=role,
        asn=int(asn),
        router_id=router_id,
        vtep_interface=str(raw.get("vtep_interface") or ""),
        tls=tls,
        username=username,
        password=password,
    )


def _read(path: object, field: str, base: Path, out: list[Problem]) -> bytes | None:
    if not path:
        return None
    p = Path(str(path))
    p = p if p.is_absolute() else base / p
    try:
        return p.read_bytes()
    except OSError as e:
        out.append(Problem(field, str(p), f"cannot be read: {e.strerror}"))
        return None


def _tls(raw: object, field: str, base: Path, out: list[Problem]) -> SwitchTls | None:
    if not isinstance(raw, Mapping) or not raw.get("ca_file"):
        out.append(Problem(field, raw, "needs `ca_file:` (or set `plaintext: true`, labs only)"))
        return None
    ca = _read(raw.get("ca_file"), f"{field}.ca_file", base, out)
    cert = _read(raw.get("client_cert_file"), f"{field}.client_cert_file", base, out)
    key = _read(raw.get("client_key_file"), f"{field}.client_key_file", base, out)
    if (cert is None) != (key is None):
        out.append(Problem(field, "client_cert_file/client_key_file", "needs both for a client certificate"))
    if ca is None:
        return None
    return SwitchTls(ca_pem=ca, server_name=str(raw.get("server_name") or ""), cert_pem=cert, key_pem=key)


def _password(creds: Mapping[str, Any], field: str, base: Path, out: list[Problem]) -> str:
    if creds.get("password_file"):
        data = _read(creds["password_file"], f"{field}.password_file", base, out)
        return data.decode().strip() if data else ""
    if creds.get("password_env"):
        var = str(creds["password_env"])
        if var not in os.environ:
            out.append(Problem(f"{field}.password_env", var, "is not set in the environment"))
            return ""
        return os.environ[var]
    if "password" in creds:
        out.append(
            Problem(f"{field}.password", "***", "inline passwords are refused: use password_file or password_env")
        )
    return ""

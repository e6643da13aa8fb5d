"""The switch inventory: which switches fabricd manages and how to reach them.

YAML (``fabric-lab inventory`` writes one; every key in docs/settings.md)::

    version: 1
    switches:
      sw1:
        address: 127.0.0.1:57401        # gNMI target HOST:PORT (HOST: the platform's port, srlinux 57400)
        platform: openconfig            # openconfig | srlinux
        role: leaf                      # leaf | spine (spines are not configured)
        asn: 65001                      # day-0 underlay, read only
        router_id: 10.0.0.11            # VTEP address (explicit RDs use it)
        vtep_interface: loopback0       # optional, the platform's default otherwise
        plaintext: false                # true only in labs: no TLS at all
        tls:
          ca_file: /path/ca.pem         # verifies the switch
          # skip_verify: true           # instead of ca_file: no verification (labs; logged as a warning)
          server_name: sw1              # name in the switch certificate
          client_cert_file: /path/client.pem   # optional client certificate (mTLS)
          client_key_file: /path/client.key
        credentials:
          username: admin
          password_file: /path/password # or password_env: VAR

``switches`` may also be a list of mappings with a ``name`` each. Unknown
keys are refused like in the settings. File paths are relative to the
inventory file. Secrets are read at load time and never logged.

**The one rule for sessions**: :meth:`SwitchConfig.session_key` changes
exactly when a session to the switch must be re-established (address,
platform, credentials, TLS material). The reconcilers, discovery and the
shared gNMI channels all restart by it; the other facts of a switch (router
id, ASN, VTEP interface) are handed to its running worker.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo, WithJsonSchema

from controller.settings.document import read_document
from controller.settings.fields import FilePath
from models.configfile import problem, section, validate
from models.errors import Problem, UnknownPlatformError, ValidationError
from models.ids import SwitchName
from models.platforms import profile
from models.platforms.base import LeafInfo


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SwitchTls:
    #: the CA that verifies the switch; None only with ``skip_verify``
    ca_pem: bytes | None
    server_name: str = ""
    cert_pem: bytes | None = None
    key_pem: bytes | None = None
    #: the inventory said ``skip_verify: true``: the switch is not verified
    skip_verify: bool = False

    def __repr__(self) -> str:
        return (
            f"SwitchTls(server_name={self.server_name!r}, client_cert={self.cert_pem is not None}, "
            f"skip_verify={self.skip_verify})"
        )


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

    def session_key(self) -> str:
        """Changes exactly when a session to the switch must be re-established."""
        h = hashlib.sha256()
        for part in (self.name, self.address, self.platform, self.username, self.password):
            h.update(part.encode() + b"\0")
        if self.tls:
            for pem in (self.tls.ca_pem or b"", self.tls.cert_pem or b"", self.tls.key_pem or b""):
                h.update(hashlib.sha256(pem).digest())
            h.update(self.tls.server_name.encode() + (b"\0skip-verify" if self.tls.skip_verify else b""))
        return h.hexdigest()[:16]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Inventory:
    switches: tuple[SwitchConfig, ...]
    #: the files the switches' entries were read from (TLS material, password files): a change reloads
    files: tuple[Path, ...] = ()

    def by_name(self) -> dict[SwitchName, SwitchConfig]:
        return {s.name: s for s in self.switches}

    @property
    def leaves(self) -> list[SwitchConfig]:
        return [s for s in self.switches if s.is_leaf]


# ------------------------------------------------------------ the file form


def _platform(name: str) -> str:
    try:
        profile(name)
    except UnknownPlatformError as e:
        known = str(e).partition("(")[2].rstrip(")")
        raise problem(f"is not a known platform ({known})") from None
    return name


def _inline_password(value: object) -> object:
    raise problem("inline passwords are refused: use password_file or password_env", value="***")


def _leaf_needs_router_id(value: str, info: ValidationInfo) -> str:
    if info.data.get("role") == "leaf" and not value:
        raise problem("is required for a leaf (its VTEP address)", value=None)
    return value


def _tls_unless_plaintext(value: object, info: ValidationInfo) -> object:
    if value is None and not info.data.get("plaintext", False):
        raise problem("needs `ca_file:` (or `skip_verify: true` or `plaintext: true`, labs only)", value=None)
    return value


def _address(value: object) -> str:
    """``HOST:PORT``, or ``HOST`` alone (the platform's gNMI port)."""
    text = str(value).strip()
    if not text or text.startswith(":"):
        raise problem("is not HOST or HOST:PORT (port 0..65535)")
    if ":" not in text or (text.startswith("[") and text.endswith("]")):
        return text
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or int(port) > 65535 or (":" in host and not host.endswith("]")):
        raise problem("is not HOST or HOST:PORT (port 0..65535; an IPv6 address in brackets)")
    return text


def _has_port(address: str) -> bool:
    return ":" in address and not address.endswith("]")


@section
class TlsEntry:
    ca_file: FilePath | None = None
    """the CA that signs the switch's certificate (for SR Linux in containerlab: the lab CA containerlab writes into
    the lab's directory)"""
    skip_verify: bool = False
    """``true`` instead of ``ca_file``: the switch's certificate is taken as presented, not verified (labs only;
    refused unless stated, logged as a warning on every connection)"""
    server_name: str = ""
    """the name in the switch's certificate, when it is not the address's host"""
    client_cert_file: FilePath | None = None
    """fabricd's client certificate, for switches that require one"""
    client_key_file: FilePath | None = None
    """its private key"""

    def __post_init__(self) -> None:
        if (self.client_cert_file is None) != (self.client_key_file is None):
            raise problem("needs both for a client certificate", value="client_cert_file/client_key_file")
        if self.ca_file is None and not self.skip_verify:
            raise problem(
                "is required to verify the switch (or `skip_verify: true`, which does not verify it)",
                field="ca_file",
                value=None,
            )
        if self.ca_file is not None and self.skip_verify:
            raise problem(
                "does not go with `ca_file` (which verifies the switch): keep one", field="skip_verify", value=True
            )


@section
class CredentialsEntry:
    username: str = ""
    """the gNMI username (sent with the password in every call's metadata)"""
    password_file: FilePath | None = None
    """a file holding the gNMI password"""
    password_env: str | None = None
    """an environment variable holding the gNMI password"""
    password: Annotated[object, BeforeValidator(_inline_password), Field(exclude=True)] = None
    """refused: secrets do not go into the inventory file"""


@section
class SwitchEntry:
    address: Annotated[
        str,
        BeforeValidator(_address),
        WithJsonSchema({"type": "string", "examples": ["127.0.0.1:57401", "clab-seed-srl-sw1"]}),
    ]
    """the gNMI target ``HOST:PORT``; ``HOST`` alone uses the platform's gNMI port (``srlinux``: 57400)"""
    platform: Annotated[
        str, AfterValidator(_platform), Field(json_schema_extra={"examples": ["openconfig", "srlinux"]})
    ]
    """the platform module that renders and reads this switch (``openconfig``, ``srlinux``)"""
    role: Literal["leaf", "spine"]
    """leaves are configured; spines are discovered only"""
    name: str = ""
    """the switch's name (the key, in the mapping form)"""
    asn: Annotated[int, Field(ge=0, le=4294967295)] = 0
    """day-0 underlay ASN (read only)"""
    router_id: Annotated[str, AfterValidator(_leaf_needs_router_id), Field(validate_default=True)] = ""
    """the VTEP address (required for a leaf)"""
    vtep_interface: str = ""
    """the VTEP source interface; the platform's default otherwise"""
    plaintext: bool = False
    """no TLS at all (labs only)"""
    tls: Annotated[TlsEntry | None, AfterValidator(_tls_unless_plaintext), Field(validate_default=True)] = None
    """how the switch is verified (required unless plaintext)"""
    credentials: CredentialsEntry = dataclasses.field(default_factory=CredentialsEntry)
    """gNMI username and where its password is"""


def _by_name(value: object) -> object:
    """The list form (entries with ``name``) as the mapping form."""
    if not isinstance(value, list):
        return value
    out: dict[str, object] = {}
    for i, entry in enumerate(value):
        name = entry.get("name") if isinstance(entry, Mapping) else None
        key = str(name) if name else f"[{i}]"
        if key in out:
            raise problem("is listed twice", field=f"{key}.name", value=name)
        out[key] = entry
    return out


@section
class InventoryFile:
    switches: Annotated[dict[str, SwitchEntry], BeforeValidator(_by_name)]
    """the switches, by name (or a list of entries with ``name``)"""
    version: Literal[1] = 1
    """the format version"""
    lab: str = ""
    """informational: the lab this inventory was written for"""


def load_inventory(path: str | Path) -> Inventory:
    p = Path(path)
    doc = read_document(p, "inventory")
    return parse_inventory(doc, base=p.parent, source=str(p))


def parse_inventory(doc: Any, *, base: Path = Path("."), source: str = "inventory") -> Inventory:
    if not isinstance(doc, Mapping):
        raise ValidationError([Problem(source, type(doc).__name__, "must be a mapping with `switches:`")])
    parsed = validate(InventoryFile, doc, prefix=f"{source}: ", context={"base": base})
    out: list[Problem] = []
    files: set[Path] = set()  # every file an entry was read from
    switches: list[SwitchConfig] = []
    for key, entry in parsed.switches.items():
        field = f"{source}: switches.{key}"
        if key.startswith("["):
            out.append(Problem(f"{source}: switches{key}.name", None, "is required"))
            continue
        if entry.name and entry.name != key:
            out.append(Problem(f"{field}.name", entry.name, f"differs from its key {key!r}"))
        switches.append(_config(SwitchName(key), entry, field, out, files))
    if out:
        raise ValidationError(out)
    return Inventory(switches=tuple(switches), files=tuple(sorted(files)))


def _config(name: SwitchName, e: SwitchEntry, field: str, out: list[Problem], files: set[Path]) -> SwitchConfig:
    tls = None
    if not e.plaintext and e.tls is not None:
        t = e.tls
        ca = _read(t.ca_file, f"{field}.tls.ca_file", out, files)
        cert = _read(t.client_cert_file, f"{field}.tls.client_cert_file", out, files)
        key = _read(t.client_key_file, f"{field}.tls.client_key_file", out, files)
        if ca is not None or t.skip_verify:
            tls = SwitchTls(ca_pem=ca, server_name=t.server_name, cert_pem=cert, key_pem=key, skip_verify=t.skip_verify)
    address = e.address
    if not _has_port(address):
        port = profile(e.platform).gnmi_port
        if port:
            address = f"{address}:{port}"
        else:
            out.append(Problem(f"{field}.address", address, f"names no port and platform {e.platform} has no default"))
    return SwitchConfig(
        name=name,
        address=address,
        platform=e.platform,
        role=e.role,
        asn=e.asn,
        router_id=e.router_id,
        vtep_interface=e.vtep_interface,
        tls=tls,
        username=e.credentials.username,
        password=_password(e.credentials, f"{field}.credentials", out, files),
    )


def _read(path: Path | None, field: str, out: list[Problem], files: set[Path]) -> bytes | None:
    """The file's bytes (a problem in ``out`` when it cannot be read); its path goes into ``files`` (watched:
    a change reloads the inventory)."""
    if path is None:
        return None
    files.add(path)
    try:
        return path.read_bytes()
    except OSError as e:
        out.append(Problem(field, str(path), f"cannot be read: {e.strerror}"))
        return None


def _password(creds: CredentialsEntry, field: str, out: list[Problem], files: set[Path]) -> str:
    if creds.password_file is not None:
        where = f"{field}.password_file"
        data = _read(creds.password_file, where, out, files)
        password = data.decode(errors="replace").strip() if data else ""
    elif creds.password_env:
        where = f"{field}.password_env"
        if creds.password_env not in os.environ:
            out.append(Problem(where, creds.password_env, "is not set in the environment"))
            return ""
        password = os.environ[creds.password_env]
    else:
        return ""
    if not (password.isascii() and password.isprintable()):
        # gNMI sends it as gRPC metadata, which carries printable ASCII only
        why = "holds a password that is not printable ASCII (gRPC metadata cannot carry it)"
        out.append(Problem(where, "***", why))
        return ""
    return password

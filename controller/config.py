"""fabricd's settings: one YAML file plus environment overrides, parsed once
into frozen dataclasses. Every problem is reported at once, naming the field.

See ``deploy/fabricd.example.yml`` for a documented example. Environment
overrides (``FABRICD_<SECTION>_<KEY>``, upper case) win over the file:
``FABRICD_STORE_PATH``, ``FABRICD_API_LISTEN`` (comma-separated),
``FABRICD_API_INSECURE``, ``FABRICD_INVENTORY``, ``FABRICD_PORT_MAP``,
``FABRICD_LOG_LEVEL``, ``FABRICD_LOG_FORMAT``, ``FABRICD_METRICS_LISTEN``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml

from controller.api.listen import Address, AddressError, parse_address
from controller.durations import parse_duration
from controller.gnmi.session import GnmiSettings
from models.errors import Problem, ValidationError
from models.settings import FabricSettings, parse_fabric_settings


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ApiTls:
    cert: Path
    key: Path
    client_ca: Path


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ApiSettings:
    listen: tuple[Address, ...] = (parse_address("unix:///run/fabricd/api.sock"),)
    #: plaintext, no client authentication, every caller is an operator (development only)
    insecure: bool = False
    tls: ApiTls | None = None
    #: client certificate identities (CN) with operator rights; other identities are node names
    operators: tuple[str, ...] = ("fabricctl",)
    #: the longest an Attach waits for its leaf before answering UNAVAILABLE
    attach_timeout: float = 10.0


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ReconcileSettings:
    drift: Literal["revert", "report"] = "revert"
    full_interval: float = 300.0
    #: coalesce pending changes into one Set per pass (false: one Set per change,
    #: a benchmark baseline only)
    coalesce: bool = True
    backoff_initial: float = 0.5
    backoff_max: float = 30.0


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class TopologySettings:
    mode: Literal["static", "lldp", "merged"] = "static"
    prefer: Literal["static", "lldp"] = "static"
    hold_time: float = 60.0


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    api: ApiSettings = ApiSettings()
    store_path: Path = Path("/var/lib/fabricd/fabricd.db")
    inventory: Path | None = None
    port_map: Path | None = None
    topology: TopologySettings = TopologySettings()
    gnmi: GnmiSettings = dataclasses.field(default_factory=GnmiSettings)
    reconcile: ReconcileSettings = ReconcileSettings()
    metrics_listen: str = "127.0.0.1:9464"
    #: how often the inventory and port map files are checked for changes
    #: (a change reloads them, as SIGHUP does); 0 = only on SIGHUP
    reload_poll: float = 5.0
    log_level: str = "info"
    log_format: Literal["text", "json"] = "text"
    fabric: FabricSettings = dataclasses.field(default_factory=FabricSettings)
    #: the file the settings came from (relative paths are relative to it)
    source: Path | None = None


ENV = {
    "FABRICD_STORE_PATH": ("store", "path"),
    "FABRICD_API_LISTEN": ("api", "listen"),
    "FABRICD_API_INSECURE": ("api", "insecure"),
    "FABRICD_INVENTORY": ("inventory", None),
    "FABRICD_PORT_MAP": ("port_map", None),
    "FABRICD_LOG_LEVEL": ("log", "level"),
    "FABRICD_LOG_FORMAT": ("log", "format"),
    "FABRICD_METRICS_LISTEN": ("metrics", "listen"),
}


def load_settings(path: str | Path | None, env: Mapping[str, str] | None = None) -> Settings:
    raw: dict[str, Any] = {}
    base = Path.cwd()
    if path is not None:
        p = Path(path)
        try:
            loaded = yaml.safe_load(p.read_text()) or {}
        except OSError as e:
            raise ValidationError([Problem("--config", str(p), f"cannot be read: {e.strerror}")]) from None
        except yaml.YAMLError as e:
            raise ValidationError([Problem("--config", str(p), f"is not valid YAML: {e}")]) from None
        if not isinstance(loaded, dict):
            raise ValidationError([Problem("--config", str(p), "must hold a mapping")])
        raw = loaded
        base = p.resolve().parent
    for var, (section, key) in ENV.items():
        value = (env if env is not None else os.environ).get(var)
        if value is None:
            continue
        if key is None:
            raw[section] = value
        else:
            sect = raw.setdefault(section, {})
            if isinstance(sect, dict):
                sect[key] = value.split(",") if var == "FABRICD_API_LISTEN" else value
    settings = parse_settings(raw, base=base)
    return dataclasses.replace(settings, source=Path(path) if path else None)


def parse_settings(raw: Mapping[str, Any], *, base: Path = Path(".")) -> Settings:
    out: list[Problem] = []
    known = {
        "api",
        "store",
        "inventory",
        "port_map",
        "reload_poll",
        "topology",
        "gnmi",
        "reconcile",
        "metrics",
        "log",
        "fabric",
    }
    for key in raw:
        if key not in known:
            out.append(Problem(key, raw[key], f"is not a setting (known: {', '.join(sorted(known))})"))

    def section(name: str) -> Mapping[str, Any]:
        value = raw.get(name) or {}
        if not isinstance(value, Mapping):
            out.append(Problem(name, value, "must be a mapping"))
            return {}
        return value

    def dur(sect: Mapping[str, Any], field: str, key: str, default: float) -> float:
        if key not in sect:
            return default
        try:
            return parse_duration(sect[key])
        except ValueError as e:
            out.append(Problem(field, sect[key], str(e)))
            return default

    def path(value: object) -> Path:
        p = Path(str(value))
        return p if p.is_absolute() else base / p

    def boolean(sect: Mapping[str, Any], field: str, key: str) -> bool:
        v = sect.get(key, False)
        if isinstance(v, str):
            if v.lower() in ("1", "true", "yes"):
                return True
            if v.lower() in ("0", "false", "no", ""):
                return False
        if isinstance(v, bool):
            return v
        out.append(Problem(field, v, "is not true or false"))
        return False

    api_raw = section("api")
    listen: list[Address] = []
    for i, text in enumerate(api_raw.get("listen") or ["unix:///run/fabricd/api.sock"]):
        try:
            listen.append(parse_address(str(text)))
        except AddressError as e:
            out.append(Problem(f"api.listen[{i}]", text, str(e).split(": ", 1)[-1]))
    insecure = boolean(api_raw, "api.insecure", "insecure")
    tls = None
    tls_raw = api_raw.get("tls")
    if isinstance(tls_raw, Mapping):
        missing = [k for k in ("cert", "key", "client_ca") if not tls_raw.get(k)]
        if missing:
            out.append(Problem("api.tls", dict(tls_raw), f"needs {', '.join(missing)}"))
        else:
            tls = ApiTls(cert=path(tls_raw["cert"]), key=path(tls_raw["key"]), client_ca=path(tls_raw["client_ca"]))
    if not insecure and tls is None:
        out.append(
            Problem(
                "api", "no tls", "needs tls: {cert, key, client_ca} (mutual TLS), or insecure: true for development"
            )
        )
    operators = api_raw.get("operators", ["fabricctl"])
    if not isinstance(operators, list) or not all(isinstance(o, str) and o for o in operators):
        out.append(Problem("api.operators", operators, "must be a list of client certificate names"))
        operators = ["fabricctl"]
    api = ApiSettings(
        listen=tuple(listen),
        insecure=insecure,
        tls=tls,
        operators=tuple(operators),
        attach_timeout=dur(api_raw, "api.attach_timeout", "attach_timeout", 10.0),
    )

    store = section("store")
    backend = store.get("backend", "sqlite")
    if backend != "sqlite":
        out.append(Problem("store.backend", backend, "is not a store backend (known: sqlite)"))
    store_path = path(store.get("path", "/var/lib/fabricd/fabricd.db"))

    topo = section("topology")
    mode = topo.get("mode", "static")
    if mode not in ("static", "lldp", "merged"):
        out.append(Problem("topology.mode", mode, "is not static, lldp or merged"))
        mode = "static"
    prefer = topo.get("prefer", "static")
    if prefer not in ("static", "lldp"):
        out.append(Problem("topology.prefer", prefer, "is not static or lldp"))
        prefer = "static"
    topology = TopologySettings(mode=mode, prefer=prefer, hold_time=dur(topo, "topology.hold_time", "hold_time", 60.0))

    g = section("gnmi")
    gnmi = GnmiSettings(
        timeout=dur(g, "gnmi.timeout", "timeout", 10.0),
        connect_timeout=dur(g, "gnmi.connect_timeout", "connect_timeout", 5.0),
        keepalive=dur(g, "gnmi.keepalive", "keepalive", 30.0),
    )

    r = section("reconcile")
    drift = r.get("drift", "revert")
    if drift not in ("revert", "report"):
        out.append(Problem("reconcile.drift", drift, "is not revert or report"))
        drift = "revert"
    reconcile = ReconcileSettings(
        drift=drift,
        coalesce=boolean(r, "reconcile.coalesce", "coalesce") if "coalesce" in r else True,
        full_interval=dur(r, "reconcile.full_interval", "full_interval", 300.0),
        backoff_initial=dur(r, "reconcile.backoff_initial", "backoff_initial", 0.5),
        backoff_max=dur(r, "reconcile.backoff_max", "backoff_max", 30.0),
    )

    metrics = section("metrics")
    log = section("log")
    level = str(log.get("level", "info")).lower()
    if level not in ("debug", "info", "warning", "error"):
        out.append(Problem("log.level", level, "is not debug, info, warning or error"))
        level = "info"
    fmt = log.get("format", "text")
    if fmt not in ("text", "json"):
        out.append(Problem("log.format", fmt, "is not text or json"))
        fmt = "text"

    fabric = FabricSettings()
    try:
        fabric = parse_fabric_settings(section("fabric"))
    except ValidationError as e:
        out.extend(e.problems)

    if out:
        raise ValidationError(out)
    return Settings(
        api=api,
        store_path=store_path,
        inventory=path(raw["inventory"]) if raw.get("inventory") else None,
        port_map=path(raw["port_map"]) if raw.get("port_map") else None,
        topology=topology,
        gnmi=gnmi,
        reconcile=reconcile,
        metrics_listen=str(metrics.get("listen", "127.0.0.1:9464")),
        reload_poll=dur(raw, "reload_poll", "reload_poll", 5.0),
        log_level=level,
        log_format=fmt,
        fabric=fabric,
    )

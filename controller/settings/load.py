"""Loading fabricd's settings: the YAML file, then environment overrides.

Environment overrides win over the file. Their names derive from the
settings themselves: ``FABRICD_<SECTION>_<KEY>`` for a key of a section
(``FABRICD_STORE_PATH``, ``FABRICD_METRICS_LISTEN``, ``FABRICD_API_LISTEN``
comma-separated) and ``FABRICD_<KEY>`` for a top-level key
(``FABRICD_INVENTORY``, ``FABRICD_PORT_MAP``). An unknown ``FABRICD_*``
variable is a problem like an unknown key in the file. ``FABRICD_CONFIG``
names the settings file when ``--config`` does not.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from controller.settings.document import read_document
from controller.settings.model import Settings
from models.configfile import hints, section_of, validate
from models.errors import Problem, ValidationError, raise_if

PREFIX = "FABRICD_"
#: variables with the prefix that are not settings
NOT_SETTINGS = frozenset({"FABRICD_CONFIG"})


def env_overrides() -> dict[str, tuple[str, ...]]:
    """Every override variable and the settings path it sets: scalar fields
    of the top level and of each section (nested sections are file-only)."""
    out: dict[str, tuple[str, ...]] = {}
    top = hints(Settings)
    for f in dataclasses.fields(Settings):
        section, _ = section_of(top[f.name])
        if section is None:
            out[PREFIX + f.name.upper()] = (f.name,)
            continue
        inner = hints(section)
        for sub in dataclasses.fields(section):
            if section_of(inner[sub.name])[0] is None:
                out[f"{PREFIX}{f.name.upper()}_{sub.name.upper()}"] = (f.name, sub.name)
    return out


def load_settings(path: str | Path | None, env: Mapping[str, str] | None = None) -> Settings:
    """The settings file (or none: defaults) with environment overrides."""
    raw: dict[str, Any] = {}
    base = Path(".")
    if path:
        p = Path(path)
        base = p.parent
        doc = read_document(p, "config")
        if doc is not None and not isinstance(doc, Mapping):
            raise ValidationError([Problem("config", str(p), "must be a YAML mapping")])
        raw = dict(doc or {})
    problems: list[Problem] = []
    known = env_overrides()
    for var, value in sorted((env or {}).items()):
        if not var.startswith(PREFIX) or var in NOT_SETTINGS:
            continue
        where = known.get(var)
        if where is None:
            problems.append(Problem(var, value, "is not a settings variable (see docs/settings.md)"))
            continue
        target = raw
        for part in where[:-1]:
            section = target.get(part)
            target[part] = section = dict(section) if isinstance(section, Mapping) else {}
            target = section
        target[where[-1]] = value
    try:
        settings = parse_settings(raw, base=base)
    except ValidationError as e:
        raise ValidationError([*problems, *e.problems]) from None
    if problems:
        raise ValidationError(problems)
    return settings


def parse_settings(raw: Mapping[str, Any], *, base: Path = Path(".")) -> Settings:
    """Settings from a mapping (relative paths are relative to ``base``)."""
    doc = dict(raw)
    doc.setdefault("api", {})  # TLS or insecure is a choice: an absent section says which is missing
    settings = validate(Settings, doc, context={"base": base})
    raise_if(_across_sections(settings))
    return settings


def _across_sections(s: Settings) -> list[Problem]:
    """What one section cannot check alone."""
    out = []
    if s.api.token_listen and not s.kubernetes.node_tokens:
        out.append(Problem("api.token_listen", [str(a) for a in s.api.token_listen],
                           "accepts node tokens only with kubernetes.node_tokens: true"))  # fmt: skip
    if s.kubernetes.node_tokens and not s.kubernetes.enabled:
        out.append(Problem("kubernetes.node_tokens", True, "needs kubernetes.enabled: true (TokenReview)"))
    if s.kubernetes.node_tokens and not s.api.token_listen:
        out.append(Problem("kubernetes.node_tokens", True, "needs api.token_listen (the listeners nodes use)"))
    return out

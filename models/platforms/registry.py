"""Renderers by platform name: the switch platforms fabricd configures."""

from __future__ import annotations

from types import MappingProxyType

from models.errors import UnknownPlatformError
from models.platforms.base import Renderer
from models.platforms.openconfig import RENDERER as OPENCONFIG
from models.platforms.profile import PROFILES
from models.platforms.srlinux import RENDERER as SRLINUX

RENDERERS: MappingProxyType[str, Renderer] = MappingProxyType({"openconfig": OPENCONFIG, "srlinux": SRLINUX})


def renderer(platform: str) -> Renderer:
    try:
        return RENDERERS[platform]
    except KeyError:
        known = ", ".join(sorted(RENDERERS))
        what = "is not a switch platform fabricd configures" if platform in PROFILES else "is unknown"
        raise UnknownPlatformError(f"platform {platform!r} {what} (configurable: {known})") from None

"""Platforms: what differs between switch operating systems.

A platform is a profile (data: port naming, well-known names, capabilities;
:mod:`models.platforms.profile`) plus, for switches fabricd configures, a
renderer module for what data cannot say. :func:`profile` looks a profile up
by name.
"""

from __future__ import annotations

from models.errors import PortNameError, UnknownPlatformError
from models.platforms.profile import PROFILES, PlatformProfile, PortNames, profile

__all__ = ["PROFILES", "PlatformProfile", "PortNameError", "PortNames", "UnknownPlatformError", "profile"]

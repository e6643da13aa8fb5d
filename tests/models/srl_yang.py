"""Nokia's SR Linux 25.3.1 models through libyang's ``yanglint``, for the
tests: :mod:`labs.emulator.srlinux.yang` (the same engine the emulator's
``validate: full`` uses) with the test rule for third-party data: where the
models are absent the test that needs them skips, saying where to get them
(:mod:`tests.thirdparty`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from labs.emulator.srlinux import yang
from labs.emulator.srlinux.yang import DEVIATIONS, MODULES, PLATFORM, Verdict, features
from tests.thirdparty import SRL_YANG, require

__all__ = ["DEVIATIONS", "MODULES", "PLATFORM", "Verdict", "command", "features", "models", "validate"]


def models() -> Path:
    """The models' directory; skips the test when absent."""
    return require(SRL_YANG)


def command(docs: Sequence[Path], *, deviations: bool = True, platform: str = PLATFORM) -> list[str]:
    return yang.command(docs, models(), deviations=deviations, platform=platform)


def validate(*docs: Path | dict[str, Any], deviations: bool = True, platform: str = PLATFORM) -> Verdict:
    """Every document as an SR Linux configuration; libyang stops at the first
    error, which names the document's data location."""
    return yang.validate(*docs, root=models(), deviations=deviations, platform=platform)

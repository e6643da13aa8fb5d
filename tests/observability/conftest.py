"""Fixtures: a short temporary directory and a whole fabricd subprocess."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A short directory: unix socket paths must stay under 108 bytes."""
    d = Path(tempfile.mkdtemp(prefix="fobs-", dir="/tmp"))
    yield d
    shutil.rmtree(d, ignore_errors=True)

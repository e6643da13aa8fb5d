"""Long passes on the event loop, a slice at a time.

A pass over every attachment (a metrics scrape, a listing, the pod cleanup:
100,000 attachments in ``bench resync``) held the loop, and every Attach
waiting on it, for seconds. :func:`slices` hands out a snapshot in slices
with the loop free between them (``await asyncio.sleep(0)``). What changed
while the loop was free is the caller's to check: an item of the snapshot
may have gone or been replaced.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import TypeVar

T = TypeVar("T")


async def slices(items: Sequence[T], size: int) -> AsyncIterator[Sequence[T]]:
    """``items`` in slices of ``size`` (at least 1), the loop free between them."""
    step = max(1, size)
    for start in range(0, len(items), step):
        if start:
            await asyncio.sleep(0)
        yield items[start : start + step]

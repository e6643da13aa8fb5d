"""A seed-lab fabric (emulators + fabricd) on its own event loop in a thread,
for synchronous tests (hypothesis runs sync test functions)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.controller.fabric import Fabric, lab_fabric


class BackgroundFabric:
    def __init__(self, tmp: Path, **raw: Any) -> None:
        self.tmp = tmp
        self.raw = raw
        self.loop: asyncio.AbstractEventLoop | None = None
        self.fab: Fabric | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="fabric-bg", daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as e:  # reported to the test thread
            self._error = e
            self._ready.set()

    async def _main(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with lab_fabric(self.tmp, **self.raw) as fab, fab.controller():
            self.fab = fab
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> BackgroundFabric:
        self._thread.start()
        self._ready.wait(120)
        if self._error is not None:
            raise self._error
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.loop is not None and self._stop is not None
        self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(120)

    def on_loop(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` on the fabric's loop (state is only touched there)."""
        assert self.loop is not None

        async def call() -> Any:
            return fn()

        return asyncio.run_coroutine_threadsafe(call(), self.loop).result(60)

    @property
    def address(self) -> str:
        assert self.fab is not None and self.fab.stack is not None
        return self.fab.stack.address

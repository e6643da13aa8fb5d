"""Many emulated switches in one process: one grpc.aio server per switch on
its own port, one event loop, plus an optional admin service.

In-process use (tests)::

    async with EmulatorHost.start(specs) as host:
        host["sw1"].address            # "127.0.0.1:PORT"
        host["sw1"].faults.fail(methods=["Set"], count=2)
        host["sw1"].config_json()

The emulator host process (``python -m labs.emulator.host_process``, the
contract in ``labs/files/spec.py``) serves one of these.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator, Sequence

from labs.emulator.admin import AdminServer
from labs.emulator.emulator import Emulator
from labs.emulator.errors import SpecError
from labs.emulator.floods import MemoryFabric
from labs.files.spec import SwitchSpec

log = logging.getLogger(__name__)


class EmulatorHost:
    def __init__(self, emulators: Sequence[Emulator]) -> None:
        self._emulators = {e.name: e for e in emulators}
        self._admin: AdminServer | None = None

    @classmethod
    async def create(cls, specs: Sequence[SwitchSpec], *, admin: str | None = None) -> EmulatorHost:
        """Build every emulator (all specs are checked before a port is
        taken), start them and the admin service on ``admin`` (None: no admin
        service). On a failure everything started is stopped again."""
        names = [s.name for s in specs]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise SpecError(f"switch names given twice: {', '.join(dupes)}")
        fabric = MemoryFabric()  # the process's emulators play one EVPN fabric (labs.emulator.floods)
        host = cls([Emulator(s, fabric=fabric) for s in specs])
        try:
            for emu in host:
                await emu.start()
            if admin is not None:
                host._admin = await AdminServer.start(host._emulators, admin)
        except BaseException:
            await host.stop()
            raise
        log.info("emulator host: %d switches up", len(host))
        return host

    @classmethod
    @contextlib.asynccontextmanager
    async def start(cls, specs: Sequence[SwitchSpec], *, admin: str | None = None) -> AsyncIterator[EmulatorHost]:
        host = await cls.create(specs, admin=admin)
        try:
            yield host
        finally:
            await host.stop()

    async def stop(self) -> None:
        if self._admin is not None:
            await self._admin.stop()
            self._admin = None
        await asyncio.gather(*(e.stop(grace=0.2) for e in self))

    def __getitem__(self, name: str) -> Emulator:
        return self._emulators[name]

    def __iter__(self) -> Iterator[Emulator]:
        return iter(self._emulators.values())

    def __len__(self) -> int:
        return len(self._emulators)

    @property
    def addresses(self) -> dict[str, str]:
        return {name: e.address for name, e in self._emulators.items()}

    @property
    def admin_address(self) -> str | None:
        return self._admin.address if self._admin else None

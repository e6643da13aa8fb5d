"""Supervision: no background work of the daemon runs unwatched.

:func:`supervise` runs a body until it returns, restarting it with backoff
when it fails. A failure from fabricd's error tree (``FabricError``: a switch
unavailable, a stream that ended) is an expected outage, handed to
``on_failure``; anything else is a bug: logged with its traceback
(``task.crashed``), counted in ``fabric_task_crashes_total{component}``,
handed to ``on_failure`` and restarted too. It never takes the daemon down.

:class:`Tasks` owns the background tasks of one component: long-running
loops (supervised, restarted) and one-shot jobs (a failure logged and
counted, not retried), all cancelled and awaited by :meth:`Tasks.stop`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from controller.backoff import Backoff
from controller.log import BoundLogger, get_logger
from controller.metrics import Metrics
from models.errors import FabricError

Body = Callable[[], Awaitable[None]]
OnFailure = Callable[[BaseException, bool], None]


def _ignore(error: BaseException, crashed: bool) -> None:
    del error, crashed


async def supervise(
    body: Body,
    *,
    component: str,
    metrics: Metrics,
    log: BoundLogger,
    backoff: Backoff,
    stopping: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    on_failure: OnFailure = _ignore,
) -> None:
    """Run ``body`` until it returns or ``stopping()``; restart it after any
    failure (``on_failure(error, crashed)`` first; ``crashed``: a bug)."""
    while not stopping():
        try:
            await body()
            return
        except asyncio.CancelledError:
            raise
        except FabricError as e:
            on_failure(e, False)
        except Exception as e:
            log.exception("task.crashed", error=repr(e))
            metrics.task_crashes.labels(component).inc()
            on_failure(e, True)
        if stopping():
            return
        await sleep(backoff.next())


class Tasks:
    """The background tasks of one component (see the module docstring)."""

    def __init__(self, component: str, metrics: Metrics, *, backoff_initial: float = 0.5, backoff_max: float = 30.0):
        self.component = component
        self.metrics = metrics
        self.log = get_logger(component)
        self._backoff = (backoff_initial, backoff_max)
        self._tasks: set[asyncio.Task[None]] = set()
        self._jobs: set[asyncio.Task[None]] = set()  # the one-shot ones (what drain waits for)

    def loop(self, name: str, body: Body, *, on_failure: OnFailure = _ignore) -> asyncio.Task[None]:
        """A long-running body, restarted with backoff whenever it fails."""
        log = self.log.bind(task=name)
        coro = supervise(
            body,
            component=self.component,
            metrics=self.metrics,
            log=log,
            backoff=Backoff(*self._backoff),
            on_failure=on_failure,
        )
        return self._add(asyncio.create_task(coro, name=f"{self.component}:{name}"))

    def once(self, name: str, coro: Awaitable[Any]) -> asyncio.Task[None]:
        """A one-shot job: its failure is logged and counted, not retried."""

        async def run() -> None:
            try:
                await coro
            except asyncio.CancelledError:
                raise
            except Exception as e:
                self.log.exception("task.crashed", task=name, error=repr(e))
                self.metrics.task_crashes.labels(self.component).inc()

        job = self._add(asyncio.create_task(run(), name=f"{self.component}:{name}"))
        self._jobs.add(job)
        job.add_done_callback(self._jobs.discard)
        return job

    def _add(self, task: asyncio.Task[None]) -> asyncio.Task[None]:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self, grace: float) -> None:
        """Wait (bounded) for the one-shot jobs still running (background
        writes); loops run until :meth:`stop` cancels them, so they are not
        waited for (a loop would hold every stop for the whole grace)."""
        if self._jobs:
            await asyncio.wait(set(self._jobs), timeout=grace)

    async def stop(self) -> None:
        """Cancel every task and wait for each to end."""
        tasks = list(self._tasks)
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t

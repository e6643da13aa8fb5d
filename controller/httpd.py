"""The metrics port: ``/metrics`` (Prometheus), ``/healthz`` (liveness: the
event loop turns), ``/readyz`` (readiness: store open and API serving; with
HA also the instance's role, the leader and the term).

A small threaded HTTP server; the state gauges are computed on the event
loop (the thread asks it), so a scrape never reads state mid-change.
"""

from __future__ import annotations

import asyncio
import http.server
import time
from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from controller.threadname import thread


class Health:
    def __init__(self) -> None:
        self.ready = False
        self.heartbeat = time.monotonic()
        #: more lines for /readyz (with HA: the role, the leader, the term)
        self.describe: Callable[[], str] | None = None

    @property
    def alive(self) -> bool:
        return time.monotonic() - self.heartbeat < 15.0

    async def beat(self) -> None:
        while True:
            self.heartbeat = time.monotonic()
            await asyncio.sleep(1.0)


class MetricsServer:
    def __init__(self, listen: str, registry: CollectorRegistry, health: Health) -> None:
        host, _, port = listen.rpartition(":")
        registry_ = registry
        health_ = health

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.startswith("/metrics"):
                    self._send(200, generate_latest(registry_), CONTENT_TYPE_LATEST)
                elif self.path.startswith("/healthz"):
                    ok = health_.alive
                    self._send(200 if ok else 503, b"ok\n" if ok else b"event loop stuck\n")
                elif self.path.startswith("/readyz"):
                    ok = health_.ready and health_.alive
                    more = health_.describe() if health_.describe is not None else ""
                    self._send(200 if ok else 503, (b"ready\n" if ok else b"not ready\n") + more.encode())
                else:
                    self._send(404, b"try /metrics, /healthz or /readyz\n")

            def _send(self, code: int, body: bytes, ctype: str = "text/plain; charset=utf-8") -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._host = host.strip("[]") or "127.0.0.1"
        self.server = http.server.ThreadingHTTPServer((self._host, int(port)), Handler)
        self.server.daemon_threads = True
        self._thread = thread(self.server.serve_forever, "fabricd-metrics")

    @property
    def address(self) -> str:
        return f"{self._host}:{self.server.server_address[1]}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

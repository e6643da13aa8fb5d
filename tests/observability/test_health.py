"""Health: grpc.health.v1 SERVING only while the store is open and the API
up; /healthz (liveness) and /readyz (readiness) on the metrics port."""

from __future__ import annotations

import asyncio
import http.client
import signal

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import CollectorRegistry

from controller.httpd import Health, MetricsServer
from tests.controller.fabric import eventually
from tests.ctl.run import ctl_proc
from tests.observability.daemon import base_settings, running, start, wait_exit, wait_ready
from tests.seedlab import offline_inventory


async def test_a_running_fabricd_is_live_ready_and_serving(short_tmp):
    inv = offline_inventory(short_tmp)
    settings = base_settings(short_tmp, inventory=str(inv), port_map=str(short_tmp / "portmap.yml"))
    async with running(short_tmp, settings) as d:
        assert await d.http("/healthz") == (200, "ok\n")
        assert await d.http("/readyz") == (200, "ready\n")
        status, body = await d.http("/nope")
        assert status == 404 and "/metrics" in body
        status, metrics = await d.http("/metrics")
        assert status == 200 and "\nfabric_ready 1.0\n" in metrics
        async with grpc.aio.insecure_channel(f"unix:{short_tmp}/api.sock") as ch:
            stub = health_pb2_grpc.HealthStub(ch)
            for service in ("", "fabric.v1.Fabric"):
                resp = await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
                assert resp.status == health_pb2.HealthCheckResponse.SERVING


async def test_health_turns_not_serving_when_fabricd_stops(short_tmp):
    d = start(short_tmp, base_settings(short_tmp))
    try:
        await wait_ready(d)
        async with grpc.aio.insecure_channel(f"unix:{short_tmp}/api.sock") as ch:
            watch = health_pb2_grpc.HealthStub(ch).Watch(health_pb2.HealthCheckRequest(service=""))
            first = await asyncio.wait_for(watch.read(), 30)
            assert first.status == health_pb2.HealthCheckResponse.SERVING
            d.proc.send_signal(signal.SIGTERM)
            second = await asyncio.wait_for(watch.read(), 30)
            assert second.status == health_pb2.HealthCheckResponse.NOT_SERVING
            watch.cancel()
        assert await wait_exit(d.proc, 30) == 0
    finally:
        if d.proc.poll() is None:
            d.proc.kill()
    events = [line["event"] for line in d.lines()]
    assert events.index("daemon.ready") < events.index("daemon.stopping") < events.index("daemon.stopped")


async def test_a_second_fabricd_on_the_same_store_never_serves(short_tmp):
    first = base_settings(short_tmp)
    async with running(short_tmp, first):
        second_dir = short_tmp / "second"
        second_dir.mkdir()
        settings = base_settings(second_dir, store={"path": first["store"]["path"]})
        d = start(second_dir, settings)
        code = await wait_exit(d.proc, 60)
        assert code == 2
        assert "is in use by another fabricd" in d.text()
        assert "daemon.ready" not in d.text()
        assert not (second_dir / "api.sock").exists()


def _get(address: str, path: str) -> tuple[int, bytes]:
    host, _, port = address.rpartition(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def test_readyz_and_healthz_follow_the_daemon_state():
    health = Health()
    server = MetricsServer("127.0.0.1:0", CollectorRegistry(), health)
    server.start()
    try:
        assert _get(server.address, "/readyz") == (503, b"not ready\n")
        assert _get(server.address, "/healthz") == (200, b"ok\n")
        health.ready = True
        assert _get(server.address, "/readyz") == (200, b"ready\n")
        health.heartbeat -= 60  # the event loop has not turned for a minute
        assert _get(server.address, "/healthz") == (503, b"event loop stuck\n")
        assert _get(server.address, "/readyz") == (503, b"not ready\n")
    finally:
        server.stop()


async def test_stopping_ends_event_streams_cleanly(short_tmp):
    d = start(short_tmp, base_settings(short_tmp))
    try:
        await wait_ready(d)
        follow = asyncio.create_task(ctl_proc("--server", d.api, "events"))
        await eventually(lambda: asyncio.to_thread(_watchers, d), what="fabricctl subscribed")
        d.proc.send_signal(signal.SIGTERM)
        r = await asyncio.wait_for(follow, 60)
        assert await wait_exit(d.proc, 30) == 0
    finally:
        if d.proc.poll() is None:
            d.proc.kill()
    assert r.code == 3 and f"fabricd at {d.api} ended the event stream: is it stopping?" in r.err
    assert "Traceback" not in d.text()
    assert d.lines()[-1]["event"] == "daemon.stopped"  # every line JSON, to the last


def _watchers(d) -> bool:
    status, text = d.get("/metrics")
    return status == 200 and "\nfabric_event_watchers 1.0\n" in text

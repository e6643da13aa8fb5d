"""The metrics of a whole fabricd managing the seed lab: promtool accepts
the exposition, a real Prometheus scrapes it and sees every leaf connected,
every dashboard expression runs in that Prometheus, and the README lists
exactly the metrics fabricd exports, with their labels."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess

import grpc
import pytest
from prometheus_client.parser import text_string_to_metric_families

from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc
from tests.controller.fabric import attach_req, eventually
from tests.ctl.run import ctl
from tests.observability.daemon import seed_lab
from tests.observability.prom import prometheus
from tests.observability.test_dashboard import concrete, expressions
from tests.seedlab import ROOT

pytestmark = pytest.mark.slow


async def activity(d) -> None:
    """Networks, an attach and a detach, refused requests: labelled series appear."""
    assert (await ctl(d.api, "network", "create", "blue", "--vni", "1111")).code == 0
    assert (await ctl(d.api, "network", "create", "Bad", "--vni", "0")).code == 1
    assert (await ctl(d.api, "network", "get", "nope")).code == 4
    async with grpc.aio.insecure_channel(d.api.replace("unix://", "unix:")) as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        att = await stub.Attach(attach_req(), timeout=30)
        assert att.state == fabric_pb2.ATTACHMENT_STATE_READY
        await stub.Attach(attach_req("pod-b", node="server2", nic="eth2", container="c2"), timeout=30)
        await stub.Detach(fabric_pb2.DetachRequest(id=att.id, container_id="c1"), timeout=10)


def readme_metrics() -> dict[str, set[str]]:
    """``| `name` | labels | meaning |`` rows of the README's Metrics section."""
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Metrics\n", 1)[1].split("\n## ", 1)[0]
    out: dict[str, set[str]] = {}
    for m in re.finditer(r"^\| `(fabric_[a-z_]+)` \| ([^|]*) \|", section, re.M):
        out[m.group(1)] = {x.strip(" `") for x in m.group(2).split(",") if x.strip(" `-")}
    return out


async def test_exposition_prometheus_and_the_readme(short_tmp):
    async with seed_lab(short_tmp) as (_fab, d):
        await activity(d)

        async def both_connected():
            _, text = await d.http("/metrics")
            return all(f'fabric_switch_connected{{switch="{s}"}} 1.0' in text for s in ("sw1", "sw2")) and text

        text = await eventually(both_connected, what="sw1 and sw2 connected in /metrics")

        # promtool: the exposition follows the format and naming conventions
        promtool = shutil.which("promtool")
        assert promtool, "promtool is not installed (Debian package prometheus)"
        check = await asyncio.to_thread(
            subprocess.run,
            [promtool, "check", "metrics"],
            input=text,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert check.returncode == 0 and not check.stdout.strip(), check.stdout + check.stderr

        # a real Prometheus scrapes fabricd and answers PromQL about the lab's switches
        async with prometheus(short_tmp / "prometheus", [d.metrics]) as prom:

            async def connected():
                doc = await prom.query("fabric_switch_connected == 1")
                return doc["status"] == "success" and {r["metric"]["switch"] for r in doc["data"]["result"]}

            assert await eventually(connected, within=60, what="Prometheus sees the leaves") == {"sw1", "sw2"}
            up = await prom.query('up{job="fabricd"}')
            assert [r["value"][1] for r in up["data"]["result"]] == ["1"]
            ready = await prom.query("fabric_ready")
            assert [r["value"][1] for r in ready["data"]["result"]] == ["1"]
            attached = await prom.query('fabric_attachments{network="default/blue", state="ready"}')
            assert [r["value"][1] for r in attached["data"]["result"]] == ["1"]
            for title, expr in expressions():
                doc = await prom.query(concrete(expr))
                assert doc["status"] == "success", (title, expr, doc)

    # the README documents every fabric_* metric, with its labels
    families = {f.name: f for f in text_string_to_metric_families(text) if f.name.startswith("fabric_")}
    exposed = {}
    for f in families.values():
        name = f.name + ("_total" if f.type == "counter" else "_info" if f.type == "info" else "")
        if name.endswith("_created"):
            continue
        exposed[name] = {k for s in f.samples for k in s.labels if k != "le"}
    documented = readme_metrics()
    assert set(documented) == set(exposed), (
        f"README lacks {sorted(set(exposed) - set(documented))}; "
        f"README has but fabricd lacks {sorted(set(documented) - set(exposed))}"
    )
    for name, labels in exposed.items():
        assert labels <= documented[name], (name, labels, documented[name])

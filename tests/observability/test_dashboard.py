"""deploy/grafana/fabricd.json: every PromQL expression parses (promtool)
and names only metrics a real fabricd exports."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.observability.daemon import base_settings, running
from tests.observability.promql import GRAFANA_VARS, SYNTHETIC, exported_names, metric_names
from tests.seedlab import ROOT, offline_inventory

DASHBOARD = ROOT / "deploy/grafana/fabricd.json"


def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def expressions() -> list[tuple[str, str]]:
    out = []
    for panel in dashboard()["panels"]:
        for target in panel.get("targets", []):
            out.append((panel["title"], target["expr"]))
    return out


def concrete(expr: str) -> str:
    """The expression as Grafana sends it (variables filled in)."""
    return GRAFANA_VARS.sub("1m", expr).replace("$job", "fabricd").replace("$switch", ".*")


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ('sum by (le) (rate(a_bucket{x="b(c)", y=~"$switch"}[$__rate_interval]))', {"a_bucket"}),
        ("x / on (switch) group_left (role) y", {"x", "y"}),
        ("time() - (last_sync > 0)", {"last_sync"}),
        ("histogram_quantile(0.95, sum without (instance) (rate(h_bucket[5m] offset 1h)))", {"h_bucket"}),
        ("count(up == bool 1) or vector(0)", {"up"}),
    ],
)
def test_metric_names_of_an_expression(expr, names):
    assert metric_names(expr) == names


def test_the_dashboard_shows_what_the_noc_needs():
    d = dashboard()
    assert d["uid"] == "fabricd" and d["title"] == "fabricd"
    ids = [p["id"] for p in d["panels"]]
    assert len(ids) == len(set(ids))
    titles = " | ".join(p["title"].lower() for p in d["panels"])
    for topic in (
        "switch sessions",
        "attach latency",
        "attach time by phase",
        "set errors",
        "drift",
        "pending changes",
        "vlan pool",
        "topology",
        "kubernetes nads",
        "kubernetes attach checks",
    ):
        assert topic in titles, topic
    variables = {v["name"] for v in d["templating"]["list"]}
    assert {"datasource", "job", "switch"} <= variables
    for panel in d["panels"]:
        if panel["type"] != "row":
            assert panel["targets"] and panel["datasource"]["uid"] == "${datasource}", panel["title"]
    quantiles = [e for _, e in expressions() if "fabric_attach_duration_seconds_bucket" in e]
    assert len(quantiles) == 3 and all(e.startswith("histogram_quantile(") for e in quantiles)


def test_every_expression_parses(short_tmp: Path):
    promtool = shutil.which("promtool")
    assert promtool, "promtool is not installed: scripts/install-deps.sh (Debian package prometheus)"
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"dashboard:expr_{i}", "expr": concrete(e)} for i, (_, e) in enumerate(expressions())
                ],
            }
        ]
    }
    path = short_tmp / "rules.yml"
    path.write_text(yaml.safe_dump(rules))
    proc = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"SUCCESS: {len(expressions())} rules found" in proc.stdout


async def test_every_metric_of_the_dashboard_is_exported(short_tmp: Path):
    inv = offline_inventory(short_tmp)
    settings = base_settings(short_tmp, inventory=str(inv), port_map=str(short_tmp / "portmap.yml"))
    async with running(short_tmp, settings) as d:
        status, text = await d.http("/metrics")
    assert status == 200
    exported = exported_names(text)
    assert "fabric_switch_connected" in exported and "fabric_attach_duration_seconds_bucket" in exported
    missing = {
        (title, name)
        for title, expr in expressions()
        for name in metric_names(expr)
        if name not in exported and name not in SYNTHETIC
    }
    assert not missing, f"the dashboard reads metrics fabricd does not export: {sorted(missing)}"

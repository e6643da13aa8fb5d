"""The PrometheusRule's alerts: promtool check rules, a promtool test case
for each alert (alerts.test.yml), a runbook line each, and only metrics
fabricd exports (the README's table, itself checked against a real fabricd
by tests/observability)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.deploy.render import data_file, find, rendered
from tests.observability.promql import metric_names
from tests.observability.test_metrics import readme_metrics
from tests.servers.tools import require

#: what Prometheus itself adds; histograms and counters as exported
NOT_FABRICD = {"up"}


def rules() -> dict[str, Any]:
    return dict(find(rendered("production"), "PrometheusRule", "fabricd")["spec"])


def alerts() -> list[dict[str, Any]]:
    return [r for g in rules()["groups"] for r in g["rules"] if "alert" in r]


def promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([require("promtool"), *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          check=False)  # fmt: skip


def _rendered(template: str, labels: dict[str, str]) -> str:
    return re.sub(r"\{\{ \$labels\.([a-z_]+) \}\}", lambda m: labels[m.group(1)], template)


def test_promtool_checks_the_rules(tmp_path):
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(rules()))
    proc = promtool("check", "rules", "rules.yml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"SUCCESS: {len(alerts())} rules found" in proc.stdout


def test_every_alert_has_a_runbook_and_uses_exported_metrics():
    exported = set(readme_metrics())
    for a in alerts():
        assert a["annotations"].get("runbook", "").strip(), a["alert"]
        assert a["labels"]["severity"] in ("critical", "warning", "info"), a["alert"]
        for name in metric_names(a["expr"]) - NOT_FABRICD:
            base = re.sub(r"_(total|count|sum|bucket)$", "", name)
            assert name in exported or base in exported, f"{a['alert']}: fabricd exports no {name}"


def test_promtool_runs_a_case_for_every_alert(tmp_path):
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(rules()))
    by_name = {a["alert"]: a for a in alerts()}
    doc = yaml.safe_load(data_file("alerts.test.yml").read_text())
    doc["rule_files"] = ["rules.yml"]
    tested = set()
    for case in doc["tests"]:
        for t in case["alert_rule_test"]:
            tested.add(t["alertname"])
            rule = by_name[t["alertname"]]
            for exp in t["exp_alerts"]:
                labels = {**exp["exp_labels"], "alertname": t["alertname"]}
                exp["exp_annotations"] = {k: _rendered(v, labels) for k, v in rule["annotations"].items()}
    assert tested == set(by_name), f"alerts without a test case: {sorted(set(by_name) - tested)}"
    (tmp_path / "alerts.test.yml").write_text(yaml.safe_dump(doc))
    proc = promtool("test", "rules", "alerts.test.yml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout


def test_a_wrong_expectation_fails(tmp_path):
    """promtool test rules can fail: a switch that is up expected to alert."""
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(rules()))
    doc = {"rule_files": ["rules.yml"], "evaluation_interval": "1m", "tests": [{
        "interval": "1m",
        "input_series": [{"series": 'fabric_switch_connected{switch="sw1"}', "values": "1x10"}],
        "alert_rule_test": [{"eval_time": "8m", "alertname": "FabricSwitchSessionDown",
                             "exp_alerts": [{"exp_labels": {"severity": "critical", "switch": "sw1"}}]}],
    }]}  # fmt: skip
    (tmp_path / "t.yml").write_text(yaml.safe_dump(doc))
    proc = promtool("test", "rules", "t.yml", cwd=tmp_path)
    assert proc.returncode != 0 and "FabricSwitchSessionDown" in proc.stdout + proc.stderr

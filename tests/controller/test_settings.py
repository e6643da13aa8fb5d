"""Settings: the example file parses; every problem of a bad file is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.config import load_settings, parse_settings
from controller.inventory import parse_inventory
from models.errors import ValidationError
from tests.golden_util import GOLDEN, check_text

ROOT = Path(__file__).resolve().parents[2]


def test_the_example_settings_file_parses():
    s = load_settings(ROOT / "deploy" / "fabricd.example.yml", env={})
    assert s.api.tls is not None and s.api.operators == ("fabricctl",)
    assert s.topology.mode == "merged" and s.fabric.evpn.asn == 65000
    assert str(s.api.listen[0]) == "unix:///run/fabricd/api.sock"


def test_environment_overrides_win(tmp_path):
    s = load_settings(
        ROOT / "deploy" / "fabricd.example.yml",
        env={"FABRICD_STORE_PATH": str(tmp_path / "x.db"), "FABRICD_API_LISTEN": "127.0.0.1:1,unix:///tmp/a.sock"},
    )
    assert s.store_path == tmp_path / "x.db"
    assert [str(a) for a in s.api.listen] == ["127.0.0.1:1", "unix:///tmp/a.sock"]


def test_every_problem_is_named():
    bad = {
        "api": {"listen": ["nowhere"], "attach_timeout": "soon"},
        "store": {"backend": "etcd"},
        "topology": {"mode": "guess"},
        "reconcile": {"drift": "ignore"},
        "fabric": {"evpn": {"asn": 4200000000}},
        "colour": 1,
    }
    with pytest.raises(ValidationError) as e:
        parse_settings(bad)
    check_text(GOLDEN / "errors" / "daemon-settings.txt", "\n".join(str(p) for p in e.value.problems) + "\n")


def test_inventory_problems_are_named(tmp_path):
    doc = {
        "switches": {
            "sw1": {"address": "nowhere", "platform": "eos", "role": "leaf", "credentials": {"password": "x"}},
            "sw2": {"address": "127.0.0.1:1", "platform": "openconfig", "role": "spine", "tls": {}},
        }
    }
    with pytest.raises(ValidationError) as e:
        parse_inventory(doc, base=tmp_path, source="inv.yml")
    check_text(GOLDEN / "errors" / "inventory.txt", "\n".join(str(p) for p in e.value.problems) + "\n")

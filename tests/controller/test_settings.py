"""Settings: the example file parses; every problem of a bad file is named;
misspelled keys are refused naming the key; the reference docs and the JSON
Schema are the settings' own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from controller.settings.inventory import parse_inventory
from controller.settings.load import env_overrides, load_settings, parse_settings
from controller.settings.reference import docs, schema
from models.errors import ValidationError
from tests.golden_util import GOLDEN, check_text
from topology.conflicts import Mode, Prefer

ROOT = Path(__file__).resolve().parents[2]
INSECURE = {"api": {"insecure": True}}


def test_the_example_settings_file_parses():
    s = load_settings(ROOT / "deploy" / "fabricd.example.yml", env={})
    assert s.api.tls is not None and s.api.operators == ("fabricctl",)
    assert s.topology.mode is Mode.MERGED and s.fabric.evpn.asn == 65000
    assert str(s.api.listen[0]) == "unix:///run/fabricd/api.sock"
    assert s.topology.identity.strip_domain is True


def test_defaults_are_stated_once_and_documented():
    s = parse_settings(INSECURE)
    assert (s.topology.mode, s.topology.prefer) == (Mode.STATIC, Prefer.STATIC)
    assert str(s.store.path) == "/var/lib/fabricd/fabricd.db" and s.metrics.listen == "127.0.0.1:9464"
    topology_doc = (ROOT / "docs" / "topology.md").read_text()
    assert f"default mode is `{s.topology.mode.value}`" in topology_doc


def test_environment_overrides_win(tmp_path):
    s = load_settings(
        ROOT / "deploy" / "fabricd.example.yml",
        env={"FABRICD_STORE_PATH": str(tmp_path / "x.db"), "FABRICD_API_LISTEN": "127.0.0.1:1,unix:///tmp/a.sock"},
    )
    assert s.store.path == tmp_path / "x.db"
    assert [str(a) for a in s.api.listen] == ["127.0.0.1:1", "unix:///tmp/a.sock"]


def test_every_environment_override_of_wave1_still_works():
    assert {
        "FABRICD_STORE_PATH",
        "FABRICD_API_LISTEN",
        "FABRICD_API_INSECURE",
        "FABRICD_INVENTORY",
        "FABRICD_PORT_MAP",
        "FABRICD_LOG_LEVEL",
        "FABRICD_LOG_FORMAT",
        "FABRICD_METRICS_LISTEN",
    } <= set(env_overrides())
    s = load_settings(None, env={"FABRICD_API_INSECURE": "yes", "FABRICD_LOG_LEVEL": "debug"})
    assert s.api.insecure and s.log.level == "debug"


def test_an_unknown_fabricd_variable_is_refused():
    with pytest.raises(ValidationError) as e:
        load_settings(None, env={"FABRICD_API_INSECURE": "true", "FABRICD_METRICS_LISTN": "0.0.0.0:9464"})
    assert [str(p) for p in e.value.problems] == [
        "FABRICD_METRICS_LISTN: '0.0.0.0:9464' is not a settings variable (see docs/settings.md)"
    ]


def test_every_problem_is_named():
    bad = {
        "api": {"listen": ["nowhere"], "attach_timeout": "soon"},
        "store": {"backend": "zookeeper"},
        "topology": {"mode": "guess"},
        "reconcile": {"drift": "ignore"},
        "fabric": {"evpn": {"asn": 4200000000}},
        "colour": 1,
    }
    with pytest.raises(ValidationError) as e:
        parse_settings(bad)
    check_text(GOLDEN / "errors" / "daemon-settings.txt", "\n".join(str(p) for p in e.value.problems) + "\n")


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (
            {"api": {"insecure": True, "lsten": ["127.0.0.1:1"]}},
            "api.lsten: ['127.0.0.1:1'] is not a setting; did you mean 'listen'?",
        ),
        (
            {"metrics": {"lisen": "0.0.0.0:9464"}},
            "metrics.lisen: '0.0.0.0:9464' is not a setting; did you mean 'listen'?",
        ),
        ({"gnmi": {"timeot": "5s"}}, "gnmi.timeot: '5s' is not a setting; did you mean 'timeout'?"),
        ({"reconcile": {"drfit": "report"}}, "reconcile.drfit: 'report' is not a setting; did you mean 'drift'?"),
        ({"log": {"levle": "debug"}}, "log.levle: 'debug' is not a setting; did you mean 'level'?"),
        ({"store": {"pth": "/tmp/x.db"}}, "store.pth: '/tmp/x.db' is not a setting; did you mean 'path'?"),
        (
            {"topology": {"identity": {"strip_domian": True}}},
            "topology.identity.strip_domian: True is not a setting; did you mean 'strip_domain'?",
        ),
        (
            {"fabric": {"ports": {"when_emtpy": "park"}}},
            "fabric.ports.when_emtpy: 'park' is not a setting; did you mean 'when_empty'?",
        ),
    ],
    ids=["api", "metrics", "gnmi", "reconcile", "log", "store", "identity", "fabric"],
)
def test_a_misspelled_key_is_refused_naming_it(doc, expected):
    doc = {**INSECURE, **doc, "api": {**INSECURE["api"], **doc.get("api", {})}}
    with pytest.raises(ValidationError) as e:
        parse_settings(doc)
    assert expected in [str(p) for p in e.value.problems]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            {"addres": "127.0.0.1:1"},
            "inv.yml: switches.sw1.addres: '127.0.0.1:1' is not a setting; did you mean 'address'?",
        ),
        (
            {"tls": {"ca_fle": "ca.pem"}},
            "inv.yml: switches.sw1.tls.ca_fle: 'ca.pem' is not a setting; did you mean 'ca_file'?",
        ),
    ],
    ids=["address", "tls.ca_file"],
)
def test_a_misspelled_inventory_key_is_refused_naming_it(tmp_path, entry, expected):
    sw = {"address": "127.0.0.1:1", "platform": "openconfig", "role": "spine", "plaintext": True}
    if "tls" in entry:
        sw = {**sw, "plaintext": False}
    doc = {"switches": {"sw1": {**sw, **entry}}}
    with pytest.raises(ValidationError) as e:
        parse_inventory(doc, base=tmp_path, source="inv.yml")
    assert expected in [str(p) for p in e.value.problems]


def test_inventory_problems_are_named(tmp_path):
    doc = {
        "switches": {
            "sw1": {"address": "nowhere:port", "platform": "eos", "role": "leaf", "credentials": {"password": "x"}},
            "sw2": {"address": "127.0.0.1:1", "platform": "openconfig", "role": "spine", "tls": {}},
            "sw3": {
                "address": "sw3",
                "platform": "srlinux",
                "role": "spine",
                "tls": {"ca_file": "ca.pem", "skip_verify": True},
            },
        }
    }
    with pytest.raises(ValidationError) as e:
        parse_inventory(doc, base=tmp_path, source="inv.yml")
    check_text(GOLDEN / "errors" / "inventory.txt", "\n".join(str(p) for p in e.value.problems) + "\n")


def test_an_address_without_port_takes_the_platforms_gnmi_port(tmp_path):
    doc = {
        "switches": {
            "leaf1": {"address": "clab-srl-leaf1", "platform": "srlinux", "role": "spine", "plaintext": True},
            "leaf2": {"address": "[fd00::2]", "platform": "srlinux", "role": "spine", "plaintext": True},
            "sw1": {"address": "sw1:57401", "platform": "openconfig", "role": "spine", "plaintext": True},
        }
    }
    inv = parse_inventory(doc, base=tmp_path, source="inv.yml").by_name()
    addresses = [inv[n].address for n in ("leaf1", "leaf2", "sw1")]
    assert addresses == ["clab-srl-leaf1:57400", "[fd00::2]:57400", "sw1:57401"]
    doc["switches"]["sw1"]["address"] = "sw1"
    with pytest.raises(ValidationError, match=r"sw1\.address: 'sw1' names no port and platform openconfig has no"):
        parse_inventory(doc, base=tmp_path, source="inv.yml")


def test_skip_verify_is_refused_unless_stated(tmp_path):
    """No CA and no ``skip_verify: true``: refused. Stated: the switch's
    certificate will not be verified (and its session key says so)."""
    entry = {"address": "leaf1", "platform": "srlinux", "role": "leaf", "router_id": "10.0.0.1", "tls": {}}
    with pytest.raises(ValidationError, match=r"tls\.ca_file: None is required to verify the switch"):
        parse_inventory({"switches": {"leaf1": entry}}, base=tmp_path)
    entry["tls"] = {"skip_verify": "yes please"}
    with pytest.raises(ValidationError, match="skip_verify"):
        parse_inventory({"switches": {"leaf1": entry}}, base=tmp_path)
    entry["tls"] = {"skip_verify": True}
    sw = parse_inventory({"switches": {"leaf1": entry}}, base=tmp_path).switches[0]
    assert sw.tls is not None and sw.tls.skip_verify and sw.tls.ca_pem is None
    (tmp_path / "ca.pem").write_bytes(b"CA")
    entry["tls"] = {"ca_file": "ca.pem"}
    verified = parse_inventory({"switches": {"leaf1": entry}}, base=tmp_path).switches[0]
    assert verified.session_key() != sw.session_key()


def test_docs_settings_md_is_generated_from_the_settings():
    check_text(ROOT / "docs" / "settings.md", docs())


def test_the_json_schema_is_current_and_refuses_unknown_keys():
    check_text(ROOT / "deploy" / "fabricd.settings.schema.json", json.dumps(schema(), indent=2, sort_keys=True) + "\n")
    doc = schema()
    assert doc["additionalProperties"] is False
    assert doc["$defs"]["MetricsSettings"]["additionalProperties"] is False


@pytest.mark.parametrize(
    ("api", "expected"),
    [
        (
            {"insecure": True, "tls": {"cert": "c.pem", "key": "k.pem", "client_ca": "ca.pem"}},
            "api.tls: 'tls' is set together with insecure: true; insecure would silently win: choose one",
        ),
        (
            {"insecure": True, "listen": ["127.0.0.1:50051", "0.0.0.0:50051"]},
            "api.insecure: True with a non-loopback listener (0.0.0.0:50051) would make anyone who reaches it an "
            "operator",
        ),
        (
            {"insecure": True, "listen": ["[::]:50051"]},
            "api.insecure: True with a non-loopback listener ([::]:50051) would make anyone who reaches it an operator",
        ),
    ],
    ids=["with-tls", "any-ipv4", "any-ipv6"],
)
def test_insecure_mode_is_refused_where_it_would_expose_the_api(api, expected):
    with pytest.raises(ValidationError) as e:
        parse_settings({"api": api})
    assert expected in [str(p) for p in e.value.problems]


def test_insecure_mode_on_loopback_and_unix_sockets_is_allowed():
    s = parse_settings({"api": {"insecure": True, "listen": ["unix:///tmp/x.sock", "127.0.0.1:0", "[::1]:0"]}})
    assert s.api.insecure


def test_the_command_line_cannot_make_a_tls_file_insecure(tmp_path):
    """--insecure (FABRICD_API_INSECURE) over a settings file with tls: refused, not silently plaintext."""
    with pytest.raises(ValidationError, match="insecure would silently win"):
        load_settings(ROOT / "deploy" / "fabricd.example.yml", env={"FABRICD_API_INSECURE": "true"})

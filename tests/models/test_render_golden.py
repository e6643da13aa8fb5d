"""Golden rendering: intent -> each leaf's desired OpenConfig (JSON_IETF).

Every golden document is also checked against the official OpenConfig models
(oc-config-validate's pyangbind bindings; slow, so only here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.render import render
from tests.golden_util import GOLDEN, check_json
from tests.models.intent_file import load

CASES = sorted(p.name for p in (GOLDEN / "render").iterdir() if (p / "intent.yaml").exists())


def rendered(case: str) -> dict[str, dict]:
    f = load(GOLDEN / "render" / case / "intent.yaml")
    trees = render(f.networks, f.attachments, f.resolver, f.leaves, f.settings)
    return {name: tree.to_json() for name, tree in trees.items()}


@pytest.mark.parametrize("case", CASES)
def test_render_matches_golden(case):
    for switch, doc in rendered(case).items():
        check_json(GOLDEN / "render" / case / f"{switch}.json", doc)


def _validate_oc(doc: dict) -> None:
    from oc_config_validate.models import interfaces, network_instance
    from pyangbind.lib.serialise import pybindJSONDecoder

    if "openconfig-network-instance:network-instances" in doc:
        part = {"openconfig-network-instance:network-instances": doc["openconfig-network-instance:network-instances"]}
        pybindJSONDecoder.load_ietf_json(part, None, None, network_instance.openconfig_network_instance())
    if "openconfig-interfaces:interfaces" in doc:
        part = {"openconfig-interfaces:interfaces": doc["openconfig-interfaces:interfaces"]}
        pybindJSONDecoder.load_ietf_json(part, None, None, interfaces.openconfig_interfaces())


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES)
def test_golden_documents_validate_against_openconfig(case):
    for path in sorted((GOLDEN / "render" / case).glob("*.json")):
        _validate_oc(json.loads(Path(path).read_text()))


def test_the_validator_rejects_a_bad_document():
    """The OpenConfig check above can fail: VLAN 5000 is refused."""
    doc = json.loads((GOLDEN / "render" / "seed" / "sw1.json").read_text())
    vlans = doc["openconfig-network-instance:network-instances"]["network-instance"]
    default = next(ni for ni in vlans if ni["name"] == "default")
    default["vlans"]["vlan"][0]["vlan-id"] = 5000
    default["vlans"]["vlan"][0]["config"]["vlan-id"] = 5000
    with pytest.raises(ValueError, match="vlan_id"):
        _validate_oc(doc)

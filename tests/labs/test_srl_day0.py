"""The day-0 of every SR Linux node of the shipped labs as data: the JSON_IETF
document (``labs/<lab>/<node>.day0.json``), valid against Nokia's 25.3.1
models, and the CLI containerlab's startup-config applies
(``labs/<lab>/<node>.cli``), generated from it. Both are golden files
(`make golden` rewrites them); the lab file points each node at its CLI."""

from __future__ import annotations

import json

import pytest

from labs.files.srl_cli import CliError, to_cli
from labs.files.srl_day0 import day0
from labs.files.topofile import load_lab
from models.oc.path import ROOT
from models.oc.tree import Tree
from tests.golden_util import GOLDEN, check_json, check_text
from tests.labs.conftest import LABS
from tests.models import srl_yang

SRL_LABS = ("seed-srl", "dc-2s4l-srl", "mixed")
NODES = [
    (lab, sw.name)
    for lab in SRL_LABS
    for sw in load_lab(LABS / f"{lab}.clab.yml").switches()
    if sw.platform == "srlinux"
]


@pytest.mark.parametrize(("lab", "node"), NODES)
def test_day0_document_and_cli_are_golden(lab, node):
    loaded = load_lab(LABS / f"{lab}.clab.yml")
    doc = day0(loaded, loaded.nodes[node])
    check_json(LABS / lab / f"{node}.day0.json", doc)
    cli = to_cli(doc)
    check_text(LABS / lab / f"{node}.cli", cli)
    assert loaded.nodes[node].startup_config == f"{lab}/{node}.cli"
    # what containerlab needs of a CLI startup-config
    assert cli.lstrip()[0] != "{"  # else it is taken for a whole JSON configuration
    assert not any(c in cli for c in ("'", "$", "{{"))
    assert all(line.startswith("set / ") for line in cli.splitlines())
    assert "commit" not in cli and "enter candidate" not in cli


@pytest.mark.parametrize("lab", SRL_LABS)
def test_every_day0_document_is_valid_against_nokia_models(lab):
    """Alone, and with a whole service of fabricd's beside it on a leaf (the
    golden one-VNI leaf's objects)."""
    loaded = load_lab(LABS / f"{lab}.clab.yml")
    docs = [json.loads((LABS / lab / f"{n}.day0.json").read_text()) for lab_, n in NODES if lab_ == lab]
    for doc in docs:
        verdict = srl_yang.validate(doc)
        assert verdict.ok, verdict.errors
    leaf = next(sw for sw in loaded.switches() if sw.role == "leaf" and sw.platform == "srlinux")
    tree = Tree.from_json(day0(loaded, leaf))
    tree.update(ROOT, json.loads((GOLDEN / "srlinux" / "one-vni" / "leaf1.json").read_text()))
    verdict = srl_yang.validate(tree.to_json())
    assert verdict.ok, verdict.errors


def test_the_underlay_as_the_seed_spine_and_leaf_have_it(request):
    """What the day-0 says, spelled out for seed-srl: unnumbered eBGP to the
    spine on e1-49, iBGP EVPN to the spine's system0 (a route reflector), the
    fabric's loopbacks in the policy, vxlan1 on leaves only."""
    lab = load_lab(LABS / "seed-srl.clab.yml")
    spine, sw1 = day0(lab, lab.nodes["spine1"]), day0(lab, lab.nodes["sw1"])
    bgp = sw1["srl_nokia-network-instance:network-instance"][0]["protocols"]["srl_nokia-bgp:bgp"]
    assert (bgp["autonomous-system"], bgp["router-id"]) == (65001, "10.0.0.11")
    assert bgp["dynamic-neighbors"]["interface"] == [
        {"interface-name": "ethernet-1/49.0", "peer-group": "underlay", "allowed-peer-as": ["65000"]}
    ]
    assert bgp["neighbor"] == [{"peer-address": "10.0.0.1", "peer-group": "overlay"}]
    rr = spine["srl_nokia-network-instance:network-instance"][0]["protocols"]["srl_nokia-bgp:bgp"]
    overlay = next(g for g in rr["group"] if g["group-name"] == "overlay")
    assert overlay["route-reflector"] == {"client": True, "cluster-id": "10.0.0.1"}
    assert [n["peer-address"] for n in rr["neighbor"]] == ["10.0.0.11", "10.0.0.12"]
    assert "srl_nokia-tunnel-interfaces:tunnel-interface" in sw1
    assert "srl_nokia-tunnel-interfaces:tunnel-interface" not in spine
    prefixes = sw1["srl_nokia-routing-policy:routing-policy"]["prefix-set"][0]["prefix"]
    assert [p["ip-prefix"] for p in prefixes] == ["10.0.0.1/32", "10.0.0.11/32", "10.0.0.12/32"]


def test_the_cli_form_of_lists_identities_and_leaf_lists():
    doc = {
        "srl_nokia-network-instance:network-instance": [
            {
                "name": "fabricd-vni-1111",
                "type": "srl_nokia-network-instance:mac-vrf",
                "description": "fabricd network default/blue",
                "interface": [{"name": "ethernet-1/1.10"}],
            }
        ],
        "srl_nokia-routing-policy:routing-policy": {
            "prefix-set": [{"name": "p", "prefix": [{"ip-prefix": "10.0.0.1/32", "mask-length-range": "exact"}]}]
        },
        "srl_nokia-interfaces:interface": [
            {
                "name": "ethernet-1/1",
                "subinterface": [{"index": 10, "srl_nokia-interfaces-vlans:vlan": {"encap": {"untagged": {}}}}],
            }
        ],
    }
    assert to_cli(doc).splitlines() == [
        "set / network-instance fabricd-vni-1111 type mac-vrf",
        'set / network-instance fabricd-vni-1111 description "fabricd network default/blue"',
        "set / network-instance fabricd-vni-1111 interface ethernet-1/1.10",
        "set / routing-policy prefix-set p prefix 10.0.0.1/32 mask-length-range exact",
        "set / interface ethernet-1/1 subinterface 10 vlan encap untagged",
    ]
    with pytest.raises(CliError, match="cannot be written"):
        to_cli({"srl_nokia-interfaces:interface": [{"name": "ethernet-1/1", "description": "it's"}]})

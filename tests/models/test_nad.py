"""models.nad: what a NAD's config asks, and what its namespace may have."""

from __future__ import annotations

import json

import pytest

from cni.plugin.config import NODE_KEYS as PLUGIN_NODE_KEYS
from models.ids import Vni
from models.intent import Network, NetworkKey
from models.nad import NODE_KEYS, Bind, ConfigRefused, Create, Refused, VniRange, decide, parse_config


def cfg(**plugin) -> str:
    return json.dumps({"cniVersion": "1.0.0", "name": "blue", "type": "fabric-cni", **plugin})


def test_the_node_keys_are_the_plugins():
    assert set(NODE_KEYS) == set(PLUGIN_NODE_KEYS)


def test_both_forms_and_conflists_parse():
    assert parse_config(cfg(VNI="1111")).vni == 1111
    assert parse_config(cfg(vni=1111)).vni == 1111
    assert parse_config(cfg(network="team-a/blue")).network == NetworkKey("team-a", "blue")
    conflist = {"cniVersion": "1.0.0", "name": "l", "plugins": [{"type": "fabric-cni", "VNI": "7"}, {"type": "tuning"}]}
    got = parse_config(json.dumps(conflist))
    assert got is not None and got.vni == 7 and got.cni_name == "l"
    assert parse_config(json.dumps({"cniVersion": "1.0.0", "name": "x", "type": "macvlan"})) is None


@pytest.mark.parametrize(
    ("text", "field", "why"),
    [
        (cfg(VNI="1", controller="evil:1"), "spec.config.controller", "node's setting"),
        (cfg(VNI="1", stateDir="/etc"), "spec.config.stateDir", "node's setting"),
        (cfg(VNI="1", network="a/b"), "spec.config.network", "together"),
        (cfg(), "spec.config.network", "is missing"),
        (cfg(VNI="0"), "spec.config.VNI", "out of range"),
        (cfg(VNI="1e3"), "spec.config.VNI", "is not a VNI"),
        (cfg(vni=True), "spec.config.vni", "is not a VNI"),
        (cfg(network="noslash"), "spec.config.network", "NAMESPACE/NAME"),
        (cfg(network="A/b"), "spec.config.network", "DNS-1123 label"),
        ("{", "spec.config", "is not JSON"),
        ("[]", "spec.config", "not a JSON object"),
        ("x" * 70_000, "spec.config", "longer than"),
        (json.dumps({"name": "l", "plugins": [{"type": "fabric-cni", "VNI": 1}, {"type": "fabric-cni", "VNI": 2}]}),
         "spec.config.plugins", "more than one"),
        (json.dumps({"name": "l", "plugins": "nope"}), "spec.config.plugins", "not a list"),
        (json.dumps({"type": "fabric-cni", "VNI": 1}), "spec.config.name", "is required"),
    ],
)  # fmt: skip
def test_every_problem_is_named(text, field, why):
    with pytest.raises(ConfigRefused) as err:
        parse_config(text)
    assert any(p.field == field and why in p.why for p in err.value.problems), err.value.problems


def test_a_conflist_entry_smuggling_node_settings_is_named_by_its_index():
    conflist = {"name": "l", "plugins": [{"type": "tuning"}, {"type": "fabric-cni", "VNI": 1, "tls": {}, "node": "x"}]}
    with pytest.raises(ConfigRefused) as err:
        parse_config(json.dumps(conflist))
    assert {p.field for p in err.value.problems} == {"spec.config.plugins[1].tls", "spec.config.plugins[1].node"}


NETS = {
    NetworkKey("a", "mine"): Network(namespace="a", name="mine", vni=Vni(10)),
    NetworkKey("b", "theirs"): Network(namespace="b", name="theirs", vni=Vni(20)),
    NetworkKey("b", "common"): Network(namespace="b", name="common", vni=Vni(30), shared=True),
}
GRANT = (VniRange.parse("100-199"),)


def req(**kw):
    return parse_config(cfg(**kw))


@pytest.mark.parametrize(
    ("name", "kw", "want"),
    [
        ("n", {"VNI": "10"}, Bind(network=NetworkKey("a", "mine"))),
        ("n", {"VNI": "30"}, Bind(network=NetworkKey("b", "common"))),
        ("n", {"network": "b/common"}, Bind(network=NetworkKey("b", "common"))),
        ("n", {"VNI": "20"}, "may not use"),
        ("n", {"network": "b/theirs"}, "is not shared"),
        ("n", {"network": "a/nothing"}, "does not exist"),
        ("n", {"VNI": "200"}, "not in a range granted"),
        ("n.v2", {"VNI": "150"}, "not a DNS-1123 label"),
        ("x" * 64, {"VNI": "150"}, "not a DNS-1123 label"),
        ("mine", {"VNI": "150"}, "exists with VNI 10"),
    ],
)
def test_decide(name, kw, want):
    got = decide("a", name, req(**kw), NETS, GRANT)
    if isinstance(want, str):
        assert isinstance(got, Refused) and want in got.message, got
    else:
        assert got == want


def test_a_granted_vni_creates_the_nads_own_network_owned_by_it():
    got = decide("a", "blue", req(VNI="150"), NETS, GRANT)
    assert isinstance(got, Create)
    assert got.network == Network(namespace="a", name="blue", vni=Vni(150), owner="kubernetes:a/blue")
    assert isinstance(decide("b", "blue", req(VNI="150"), NETS, ()), Refused)  # b has no grant


@pytest.mark.parametrize("text", ["", "x", "5-", "-5", "9-3", "0", "16777216", "1-16777216"])
def test_bad_ranges(text):
    with pytest.raises(ValueError):
        VniRange.parse(text)


@pytest.mark.parametrize("key", NODE_KEYS)
def test_every_node_key_in_a_nad_is_refused_by_name(key):
    """A tenant's NAD may not point the plugin elsewhere, nor at another token file or node."""
    with pytest.raises(ConfigRefused) as e:
        parse_config(cfg(VNI="1", **{key: "x"}))
    assert [(p.field, p.why) for p in e.value.problems] == [
        (f"spec.config.{key}", "is the node's setting (fabric-cni's node file), never a NAD's")
    ]


def test_a_nad_may_set_the_readiness_of_the_network_it_creates():
    got = decide("a", "blue", req(VNI="150", readiness="forwarding"), NETS, GRANT)
    assert isinstance(got, Create) and got.network.readiness == "forwarding"
    with pytest.raises(ConfigRefused, match=r"spec.config.readiness: 'soon' is not one of committed, forwarding"):
        req(VNI="150", readiness="soon")

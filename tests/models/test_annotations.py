"""The Multus networks annotation: both forms, interface names, malformed input."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.annotations import AnnotationError, NetworkSelection, ifnames, parse_networks
from tests.golden_util import GOLDEN, check_text


def parse(text: str) -> list[NetworkSelection]:
    return parse_networks(text, default_namespace="apps")


def test_short_form_with_namespaces_and_interfaces():
    sels = parse(" blue-network, other-ns/net-c ,green-network@eth5")
    assert [(s.namespace, s.name, s.interface) for s in sels] == [
        ("apps", "blue-network", None),
        ("other-ns", "net-c", None),
        ("apps", "green-network", "eth5"),
    ]
    assert sels[1].ref == "other-ns/net-c"
    assert ifnames(sels) == ["net1", "net2", "eth5"]


def test_empty_annotation_selects_nothing():
    assert parse("") == [] and parse("   ") == [] and parse("[]") == []


def test_json_form():
    sels = parse(
        '[{"name": "blue-network", "ips": ["10.11.0.1/24", "fd00::1/64"], "mac": "02:00:00:00:00:01"},'
        ' {"name": "net-c", "namespace": "other-ns", "interface": "data0", "cni-args": {"uplink": "eth2"}},'
        ' {"name": "red-network", "interfaceRequest": "red0", "default-route": ["10.33.0.1"]}]'
    )
    assert sels[0] == NetworkSelection(
        name="blue-network", namespace="apps", ips=("10.11.0.1/24", "fd00::1/64"), mac="02:00:00:00:00:01"
    )
    assert sels[1].namespace == "other-ns" and sels[1].interface == "data0" and sels[1].cni_args == {"uplink": "eth2"}
    assert sels[2].interface == "red0" and sels[2].unsupported == ("default-route",)
    assert ifnames(sels) == ["net1", "data0", "red0"]


def test_auto_interface_names_count_positions_like_multus():
    sels = parse("a@net2,b")
    with pytest.raises(AnnotationError, match="interface name 'net2' is used by more than one network"):
        ifnames(sels)


MALFORMED = [
    "blue,,green",
    "ns/blue/x",
    "blue@net1@net2",
    "blue@",
    "Blue_Net",
    "UPPER/blue",
    "blue@this-name-is-too-long",
    "blue@a b",
    "[{nope",
    '{"name": "blue"}',
    '"blue"',
    '[{"name": "blue", "ips": ["10.1.0.1"]}]',
    '[{"name": "blue", "ips": "10.1.0.1/24"}]',
    '[{"name": "blue", "mac": "zz:00:00:00:00:01"}]',
    '[{"namespace": "x"}]',
    '[{"name": "blue", "interface": "eth/1"}]',
    '[{"name": "blue", "cni-args": ["uplink"]}]',
    '[{"name": "blue", "colour": "red"}]',
    '["blue"]',
    '[{"name": "blue", "ips": ["10.1.0.300/24"]}, {"name": ""}]',
]


def test_malformed_annotations_name_every_problem():
    lines = []
    for text in MALFORMED:
        with pytest.raises(AnnotationError) as err:
            parse(text)
        assert err.value.problems
        lines.append(f"{text}\n  -> {err.value}\n")
    check_text(GOLDEN / "models" / "annotation_errors.txt", "".join(lines))


@pytest.mark.parametrize("text", ["[" * 5000, "[" * 5000 + "]" * 5000, '[{"name": ' * 3000])
def test_json_nested_deeper_than_json_goes_is_malformed_not_a_crash(text):
    # any pod author writes this annotation: an exception other than AnnotationError ended the Pod watch of
    # every namespace (its list parses every pod), and with it the cleanup of every attachment
    with pytest.raises(AnnotationError, match="nested too deeply"):
        parse(text)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=200),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
            lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
            max_leaves=30,
        ).map(json.dumps),
    )
)
def test_any_text_either_parses_or_is_refused_by_name(text):
    # the pod watch parses whatever pods carry: only AnnotationError may come out
    with contextlib.suppress(AnnotationError):
        parse(text)

"""Proto paths in (convert.from_pb, built from cached elements) are the
typed paths built element by element: any names (module-qualified or not),
keys, prefixes, and the deprecated string form."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pygnmi.spec.v080 import gnmi_pb2

from controller.gnmi.convert import MalformedValue, from_pb, leaf_text, to_pb, uint_array, untyped
from models.oc.path import Elem, Path
from models.oc.schema import strip_module

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=50)  # protobuf strings: no surrogates
names = st.text(alphabet=st.characters(blacklist_characters=":", blacklist_categories=("Cs",)), min_size=1, max_size=30)
modules = st.sampled_from(["", "srl_nokia-interfaces:", "openconfig-interfaces:"])
elems = st.builds(
    lambda m, n, k: gnmi_pb2.PathElem(name=m + n, key=k),
    modules,
    names,
    st.dictionaries(text.filter(bool), text, max_size=3),
)
protos = st.builds(
    lambda es, origin, target: gnmi_pb2.Path(elem=es, origin=origin, target=target),
    st.lists(elems, max_size=8),
    st.sampled_from(["", "openconfig", "rfc7951"]),
    st.sampled_from(["", "leaf1"]),
)
#: elements whose encoding needs a 2- or 3-byte length (the parent is found by cutting the last one off)
long_elems = st.builds(
    lambda n, size: gnmi_pb2.PathElem(name=n, key={"k": "v" * size}), names, st.sampled_from([100, 127, 128, 20_000])
)


def plain(path: gnmi_pb2.Path) -> tuple[Elem, ...]:
    return tuple(Elem.of(strip_module(e.name), dict(e.key)) for e in path.elem)


@given(protos, st.none() | protos)
def test_a_proto_path_is_the_typed_path_built_element_by_element(path, prefix):
    want = Path(
        (*(plain(prefix) if prefix is not None else ()), *plain(path)), (prefix and prefix.origin) or path.origin
    )
    assert from_pb(path, prefix) == want
    assert from_pb(path, prefix) == want  # the second time from the cache
    if path.elem:
        assert leaf_text(path) == str(Path(plain(path)))


@given(st.lists(elems, min_size=1, max_size=3), long_elems)
def test_a_long_last_element(parents, last):
    path = gnmi_pb2.Path(elem=[*parents, last])
    assert from_pb(path) == Path(plain(path))


def test_the_deprecated_string_form():
    old = gnmi_pb2.Path(element=["interfaces", "interface[name=ethernet-1/1]", "config"])
    assert str(from_pb(old)) == "/interfaces/interface[name=ethernet-1/1]/config"


@pytest.mark.parametrize("raw", [b"{not json", b'\xff\xfe"a"', b'"\xc3"', b'"a" "b"'])
def test_a_value_that_is_not_json_in_utf8_is_malformed(raw):
    for _ in range(2):  # never remembered
        with pytest.raises(MalformedValue, match="json_ietf_val is not JSON"):
            untyped(gnmi_pb2.TypedValue(json_ietf_val=raw))


@given(st.recursive(st.none() | st.booleans() | st.integers() | text, lambda c: st.lists(c) | st.dictionaries(text, c)))
def test_a_value_decodes_the_same_the_second_time(value):
    tv = gnmi_pb2.TypedValue(json_ietf_val=json.dumps(value).encode())
    first = untyped(tv)
    assert first == value
    if isinstance(first, dict | list):
        first.clear()  # a caller may change what it was given: the next one is its own
    assert untyped(tv) == value


@given(protos)
def test_a_typed_path_out_is_the_proto_built_element_by_element(proto):
    path = Path(plain(proto), proto.origin)
    want = gnmi_pb2.Path(
        origin=path.origin, elem=[gnmi_pb2.PathElem(name=e.name, key=dict(e.keys)) for e in path.elems]
    )
    for _ in range(2):  # the second from the remembered encoding
        got = to_pb(path)
        assert got == want
        got.elem.add(name="changed")  # each caller's proto is its own


def scalar_array(values: list[int]) -> gnmi_pb2.TypedValue:
    return gnmi_pb2.TypedValue(
        leaflist_val=gnmi_pb2.ScalarArray(element=[gnmi_pb2.TypedValue(uint_val=v) for v in values])
    )


@given(st.lists(st.one_of(st.integers(0, 4095), st.integers(0, 2**64 - 1)), min_size=1, max_size=300))
def test_a_list_of_numbers_encodes_as_protobuf_serialises_its_scalar_array(values):
    """The echo filter recognises a VLAN list by comparing bytes: they must
    be protobuf's own, in the list's order, for every size of number."""
    assert uint_array(values) == scalar_array(values).leaflist_val.SerializeToString()
    assert untyped(scalar_array(values)) == values


@pytest.mark.parametrize("values", [[], [1, -1], [1, 2**64], [True, 2], ["1"], [1.0], (1, 2), [[1]], None, 7])
def test_what_is_not_a_list_of_unsigned_numbers_has_no_such_encoding(values):
    assert uint_array(values) is None


def test_a_decimal_beyond_decimal64_is_malformed_before_any_arithmetic():
    # 9 bytes on the wire: 10**(2**32 - 1) would hold the event loop (and every switch, the API) for minutes
    tv = gnmi_pb2.TypedValue(decimal_val=gnmi_pb2.Decimal64(digits=1, precision=2**32 - 1))
    with pytest.raises(MalformedValue, match="decimal_val precision 4294967295 is above 18"):
        untyped(tv)
    ok = gnmi_pb2.TypedValue(decimal_val=gnmi_pb2.Decimal64(digits=12345, precision=18))
    assert untyped(ok) == 12345 / 10**18


@pytest.mark.parametrize("kind", ["json_ietf_val", "json_val"])
def test_json_nested_past_the_parser_is_malformed_not_a_crash(kind):
    # a switch's Get answer, LLDP or drift notification: a worker crash before, counted as our bug
    tv = gnmi_pb2.TypedValue(**{kind: b"[" * 5000 + b"]" * 5000})
    with pytest.raises(MalformedValue, match=f"{kind} is nested too deeply"):
        untyped(tv)

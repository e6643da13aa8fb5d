from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.oc.path import Elem, Path, PathError, covers, matches, parse


def test_parse_keys_with_slashes_and_escapes():
    p = parse(r"/interfaces/interface[name=ethernet-1/1]/x[a=b\]c][b=d\\e]")
    assert p.elems[1] == Elem("interface", (("name", "ethernet-1/1"),))
    assert p.elems[2].key_map == {"a": "b]c", "b": "d\\e"}
    assert parse(str(p)) == p


def test_keys_are_canonically_ordered():
    assert parse("/p[name=BGP][identifier=BGP]") == parse("/p[identifier=BGP][name=BGP]")


def test_origin():
    p = parse("openconfig:/interfaces")
    assert p.origin == "openconfig"
    assert str(p) == "openconfig:/interfaces"
    assert parse("/").elems == ()


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("/a[b=c", "unterminated"),
        ("/a]", "unbalanced"),
        ("/a[bc]", "NAME=VALUE"),
        ("/a[b=1][b=2]", "twice"),
        ("/[k=v]", "empty element"),
    ],
)
def test_parse_errors_name_the_problem(text, needle):
    with pytest.raises(PathError, match=needle):
        parse(text)


def test_matches_and_covers():
    pat = parse("/lldp/interfaces/interface/neighbors/neighbor/state")
    leaf = parse("/lldp/interfaces/interface[name=e1]/neighbors/neighbor[id=x]/state/system-name")
    assert matches(pat, leaf.parent)
    assert not matches(pat, leaf)
    assert covers(pat, leaf)
    assert not covers(parse("/interfaces"), leaf)
    assert covers(parse("/..."), leaf)
    assert matches(parse("/lldp/.../system-name"), leaf)
    assert not matches(parse("/lldp/interfaces/interface[name=e2]/..."), leaf)
    assert parse("/a[k=*]/b").has_wildcards


names = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True)
values = st.text(alphabet=st.characters(codec="ascii", exclude_characters="\x00"), max_size=8)
elems = st.builds(Elem.of, names, st.dictionaries(names, values, max_size=2))


@given(st.lists(elems, max_size=5))
def test_text_round_trip(es):
    p = Path(tuple(es))
    assert parse(str(p)) == p


def test_cached_hashes_equal_fresh_ones_and_never_compare():
    """Elem and Path keep their hash once asked (paths are dict keys on every hot path): equal
    values hash alike whichever was hashed first, the cache is not part of equality or order,
    and a replaced path hashes its new value."""
    import dataclasses

    a, b = parse("/a/b[k=v]/c"), parse("/a/b[k=v]/c")
    hash(a)
    assert a == b and hash(a) == hash(b) and not (a < b) and not (b < a)
    assert {a: 1}[b] == 1 and {b.elems[1]: 2}[a.elems[1]] == 2
    moved = dataclasses.replace(a, origin="openconfig")
    assert moved != a and hash(moved) == hash(dataclasses.replace(b, origin="openconfig"))
    assert "_hash" not in repr(a) and str(a) == "/a/b[k=v]/c"

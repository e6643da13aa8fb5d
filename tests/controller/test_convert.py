"""Proto paths in (convert.from_pb, built from cached elements) are the
typed paths built element by element: any names (module-qualified or not),
keys, prefixes, and the deprecated string form."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from pygnmi.spec.v080 import gnmi_pb2

from controller.gnmi.convert import from_pb, leaf_text
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
protos = st.lists(elems, max_size=8).map(lambda es: gnmi_pb2.Path(elem=es))


def plain(path: gnmi_pb2.Path) -> tuple[Elem, ...]:
    return tuple(Elem.of(strip_module(e.name), dict(e.key)) for e in path.elem)


@given(protos, st.none() | protos)
def test_a_proto_path_is_the_typed_path_built_element_by_element(path, prefix):
    want = Path((*(plain(prefix) if prefix is not None else ()), *plain(path)))
    assert from_pb(path, prefix) == want
    assert from_pb(path, prefix) == want  # the second time from the cache
    if path.elem:
        assert leaf_text(path) == str(Path(plain(path)))


def test_the_deprecated_string_form():
    old = gnmi_pb2.Path(element=["interfaces", "interface[name=ethernet-1/1]", "config"])
    assert str(from_pb(old)) == "/interfaces/interface[name=ethernet-1/1]/config"

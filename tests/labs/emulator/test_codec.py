"""Paths out of the emulator (codec.to_proto, built from cached element
encodings) equal the proto built element by element, for any names and
keys (long, unicode, many), plain and module-qualified."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from pygnmi.spec.v080 import gnmi_pb2

from labs.emulator import codec
from models.oc.path import Elem, Path
from models.oc.schema import MODULE_AT

names = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)  # no surrogates
_text = st.characters(blacklist_categories=("Cs",))
keys = st.dictionaries(st.text(_text, min_size=1, max_size=20), st.text(_text, max_size=200), max_size=3)
paths = st.lists(st.builds(Elem.of, names, keys), max_size=8).map(lambda es: Path(tuple(es)))


@given(paths)
def test_a_path_is_the_proto_built_element_by_element(path):
    want = gnmi_pb2.Path(elem=[gnmi_pb2.PathElem(name=e.name, key=dict(e.keys)) for e in path.elems])
    assert codec.to_proto(path) == want
    assert codec.to_proto(path).SerializeToString(deterministic=True) == want.SerializeToString(deterministic=True)


def test_qualified_paths_are_the_proto_built_element_by_element():
    """Each element whose module differs from its parent's carries it (SR Linux's answers)."""
    checked = 0
    for at in sorted(MODULE_AT)[:200]:
        path = Path(tuple(Elem.of(n) for n in at)) / Elem.of("leaf", {"k": "v" * 300})
        schema: tuple[str, ...] = ()
        elems = []
        for e in path.elems:
            schema = (*schema, e.name)
            module = MODULE_AT.get(schema)
            elems.append(gnmi_pb2.PathElem(name=f"{module}:{e.name}" if module else e.name, key=dict(e.keys)))
        assert codec.to_proto(path, qualify=True) == gnmi_pb2.Path(elem=elems)
        checked += any(":" in e.name for e in elems)
    assert checked > 10

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
        # relative to a prefix (``base``): modules as at the full path
        for cut in range(len(path.elems)):
            base, rest = Path(path.elems[:cut]), Path(path.elems[cut:])
            assert codec.to_proto(rest, qualify=True, base=base) == gnmi_pb2.Path(elem=elems[cut:])
    assert checked > 10


_scalars = st.one_of(
    st.text(_text, max_size=50), st.integers(-(2**63), 2**64 - 1), st.booleans(), st.floats(allow_nan=False), st.none()
)
values = st.one_of(_scalars, st.lists(st.one_of(st.text(_text, max_size=20), st.integers(0, 4094), st.booleans())))


@given(
    st.integers(0, 2**63 - 1),
    st.one_of(st.none(), st.text(_text, min_size=1, max_size=20)),
    st.lists(st.tuples(paths, values), max_size=12),
    st.lists(paths, max_size=6),
    st.booleans(),
)
def test_a_streamed_notification_is_the_message_built_field_by_field(ts, target, updates, deletes, qualify):
    prefix = gnmi_pb2.Path(target=target) if target else None
    want = gnmi_pb2.SubscribeResponse(
        update=gnmi_pb2.Notification(
            timestamp=ts,
            prefix=prefix,
            update=[gnmi_pb2.Update(path=codec.to_proto(p, qualify=qualify), val=codec.scalar(v)) for p, v in updates],
            delete=[codec.to_proto(p, qualify=qualify) for p in deletes],
        )
    )
    fields = [codec.update_field(codec.path_bytes(p, qualify=qualify), v) for p, v in updates]
    fields += [codec.delete_field(codec.path_bytes(p, qualify=qualify)) for p in deletes]
    got = codec.subscribe_response(ts, prefix.SerializeToString() if prefix else None, fields)
    assert got == want
    assert got.SerializeToString(deterministic=True) == want.SerializeToString(deterministic=True)


def test_equal_scalars_of_other_types_keep_their_own_encoding():
    """The scalar cache is keyed by type too: True == 1 == 1.0 in Python, not on the wire."""
    path = codec.path_bytes(Path.parse("/a/b"))
    for v in (1, True, 1.0, "1", 0, False, 0.0, -0.0):
        assert codec.value_bytes(v) == codec.scalar(v).SerializeToString(), repr(v)
        update = gnmi_pb2.Notification.FromString(codec.update_field(path, v)).update[0]
        assert update.val == codec.scalar(v) and update.val.WhichOneof("value") == codec.scalar(v).WhichOneof("value")

"""Our own Sets echo back on the drift stream: recognised by content."""

from __future__ import annotations

from pygnmi.spec.v080 import gnmi_pb2

from controller.gnmi.convert import leaf_text, to_pb, untyped
from controller.reconcile.echo import EchoFilter
from models.diff import SetOps
from models.oc.path import parse
from models.platforms.base import port_key
from models.platforms.openconfig import RENDERER, switched_vlan

PORT = switched_vlan("ethernet-1/1")
KEY = port_key("ethernet-1/1")
VALUE = {"config": {"interface-mode": "TRUNK", "trunk-vlans": [100, 101]}}


def note(path: str, **val: object) -> gnmi_pb2.Notification:
    ((kind, v),) = val.items()
    if kind == "delete":
        return gnmi_pb2.Notification(delete=[to_pb(parse(path))])
    tv = (
        gnmi_pb2.TypedValue(leaflist_val=gnmi_pb2.ScalarArray(element=[gnmi_pb2.TypedValue(uint_val=x) for x in v]))
        if isinstance(v, list)
        else gnmi_pb2.TypedValue(string_val=v)
    )
    return gnmi_pb2.Notification(update=[gnmi_pb2.Update(path=to_pb(parse(path)), val=tv)])


def filt():
    current: dict = {}
    echo = EchoFilter(lambda: current)
    return echo, current


def test_what_we_wrote_is_ours_anything_else_is_foreign():
    echo, current = filt()
    ops = SetOps(replaces=((PORT, VALUE),))
    current[KEY] = {PORT: VALUE}
    echo.committed(KEY, ops)
    trunk = str(PORT) + "/config/trunk-vlans"
    assert not echo.foreign(note(trunk, list=[101, 100]), RENDERER.watches)
    assert echo.foreign(note(trunk, list=[100, 101, 5]), RENDERER.watches)
    assert echo.foreign(note(str(PORT), delete=True), RENDERER.watches)  # someone removed our port config


def test_the_set_in_flight_counts_and_a_delete_we_made_is_ours():
    echo, _ = filt()
    echo.sending(SetOps(deletes=(PORT,)))
    assert not echo.foreign(note(str(PORT) + "/config/interface-mode", delete=True), RENDERER.watches)
    echo.sent()
    echo.committed(KEY, SetOps(deletes=(PORT,)))
    assert not echo.foreign(note(str(PORT), delete=True), RENDERER.watches)  # a trailing echo


def test_changes_fabricd_does_not_watch_are_not_drift():
    echo, _ = filt()
    assert not echo.foreign(
        note("/interfaces/interface[name=ethernet-1/1]/config/description", string="x"), RENDERER.watches
    )
    assert echo.foreign(
        note("/network-instances/network-instance[name=fabricd-vni-5]/config/type", string="L3VRF"), RENDERER.watches
    )


def test_undecodable_values_are_counted_and_ignored():
    echo, _ = filt()
    bad = gnmi_pb2.Notification(
        update=[gnmi_pb2.Update(path=to_pb(PORT), val=gnmi_pb2.TypedValue(json_ietf_val=b"{broken"))]
    )
    assert not echo.foreign(bad, RENDERER.watches)
    assert echo.malformed == 1


def _emulator_notification(ops: SetOps, *, qualify: bool) -> gnmi_pb2.Notification:
    """What the emulator streams for a committed Set: every leaf under what it wrote."""
    from labs.emulator import codec
    from labs.emulator.txn import leaf_items
    from models.oc.tree import Tree

    tree = Tree()
    updates = []
    for path, value in ops.replaces:
        tree.replace(path, value)
        updates += [
            gnmi_pb2.Update(path=codec.to_proto(p, qualify=qualify), val=codec.scalar(v))
            for p, v in leaf_items(tree.get(path), path)
        ]
    return gnmi_pb2.Notification(update=updates)


def _objects(platform: str) -> SetOps:
    from models.ids import Evi, PortName, SwitchName, VlanId, Vni
    from models.intent import NetworkKey
    from models.platforms.base import FabricVlans, LeafInfo, PortInput, PortRender, Segment, VlanInput
    from models.platforms.registry import renderer
    from models.settings import FabricSettings

    r, settings = renderer(platform), FabricSettings()
    leaf = LeafInfo(name=SwitchName("sw1"), platform=platform, router_id="10.0.0.11", asn=65001)
    port = PortName("ethernet-1/3")
    seg = Segment(
        vni=Vni(10_100), vlan=VlanId(100), evi=Evi(7), network=NetworkKey("ns", "blue"), ports=frozenset({port})
    )
    inp = PortInput(port=port, vlans=frozenset({VlanId(100)}), current={}, fabric_vlans=FabricVlans(allocated={100}))
    rendered = r.port(leaf, inp, settings)
    objs = {**r.base(leaf, settings), **rendered.objects}
    vinp = VlanInput(port=port, vlan=100, wanted=True, current={}, port_current=rendered.objects)
    objs.update(r.port_vlan(leaf, vinp, settings).objects)
    ports: dict[PortName, PortRender] = {port: PortRender(objects=dict(objs))}
    objs.update(r.segment(leaf, seg, settings, ports))
    return SetOps(replaces=tuple(objs.items()))


def test_every_leaf_of_our_own_set_is_recognised_by_one_lookup():
    """The fast path (flattened leaves) names leaves as the emulator's
    stream does, on both platforms, in flight and after the commit; a
    changed value still falls through to the general walk and is drift."""
    for platform, qualify in (("openconfig", False), ("srlinux", True)):
        ops = _objects(platform)
        n = _emulator_notification(ops, qualify=qualify)
        assert len(n.update) > 10
        echo, _ = filt()
        echo.sending(ops)
        items = [(u.path, untyped(u.val), False) for u in n.update]
        missed = [leaf_text(pb) for pb, v, d in items if not echo._echoed(leaf_text(pb), v, d)]
        assert missed == [], platform
        echo.sent()
        echo.committed(KEY, ops)
        assert [leaf_text(pb) for pb, v, d in items if not echo._echoed(leaf_text(pb), v, d)] == []
        assert not echo.foreign(n, RENDERER.watches)
    u = n.update[0]
    other = gnmi_pb2.Update(path=u.path, val=gnmi_pb2.TypedValue(string_val="someone-else"))
    assert not echo._echoed(leaf_text(other.path), "someone-else", False)


def test_key_leaves_of_the_entries_our_objects_create_are_ours():
    """Objects written to a switch that lacks the list entries above them
    create those entries, and the switch notifies their key leaves too
    (``network-instance[name=default]/name`` when the base objects reach a
    new leaf): ours, not drift (each took a verification pass, at every
    start). An entry someone else creates, only its key, is still drift."""
    from labs.emulator import codec
    from labs.emulator.txn import leaf_items
    from models.oc.path import Path
    from models.oc.tree import Tree
    from models.platforms.registry import renderer

    for platform, qualify in (("openconfig", False), ("srlinux", True)):
        ops = _objects(platform)
        tree = Tree()
        for path, value in ops.replaces:
            tree.replace(path, value)
        top = {Path(p.elems[:1]) for p, _ in ops.replaces}
        everything = [item for t in top for item in leaf_items(tree.get(t), t)]
        updates = [gnmi_pb2.Update(path=codec.to_proto(p, qualify=qualify), val=codec.scalar(v)) for p, v in everything]
        n = gnmi_pb2.Notification(update=updates)
        objects = [str(p) for p, _ in ops.replaces]
        above = [str(p) for p, _ in everything if not any(str(p).startswith(o) for o in objects)]
        assert above, f"{platform}: the notification holds no leaf above our objects: the case is not tested"
        watches = renderer(platform).watches
        echo, _ = filt()
        echo.sending(ops)
        assert not echo.foreign(n, watches), platform
        echo.sent()
        echo.committed(KEY, ops)
        assert not echo.foreign(n, watches), platform
    lonely = "/network-instances/network-instance[name=fabricd-vni-5]/name"
    assert echo.foreign(note(lonely, string="fabricd-vni-5"), RENDERER.watches)


def _with_prefix(n: gnmi_pb2.Notification, depth: int) -> list[gnmi_pb2.Notification]:
    """The same changes as a switch that names the common part in the
    prefix sends them (SR Linux does): one notification per distinct first
    ``depth`` elements, the rest of each path relative to them."""
    out: dict[bytes, gnmi_pb2.Notification] = {}

    def to(path: gnmi_pb2.Path) -> gnmi_pb2.Notification:
        head = gnmi_pb2.Path(elem=path.elem[:depth])
        return out.setdefault(head.SerializeToString(deterministic=True), gnmi_pb2.Notification(prefix=head))

    for u in n.update:
        to(u.path).update.append(gnmi_pb2.Update(path=gnmi_pb2.Path(elem=u.path.elem[depth:]), val=u.val))
    for d in n.delete:
        to(d).delete.append(gnmi_pb2.Path(elem=d.elem[depth:]))
    return list(out.values())


def _deleted(ops: SetOps, *, qualify: bool) -> gnmi_pb2.Notification:
    """A delete of every leaf under what ``ops`` wrote, as a switch streams removing it."""
    n = _emulator_notification(ops, qualify=qualify)
    return gnmi_pb2.Notification(delete=[u.path for u in n.update])


class Counting(EchoFilter):
    walks = 0

    def ours(self, elems, value, deleted):  # type: ignore[no-untyped-def]
        self.walks += 1
        return super().ours(elems, value, deleted)


def test_removing_what_we_wrote_echoes_as_ours_by_lookup_in_flight_and_after():
    """Deleting a VNI streams a delete per leaf: each is ours by one lookup
    (the deleted objects' leaves, as we know the switch has them), not by
    the general walk; a leaf of ours someone else deletes is still drift."""
    for platform, qualify in (("openconfig", False), ("srlinux", True)):
        ops = _objects(platform)
        current: dict = {}
        echo = Counting(lambda current=current: current)
        echo.sending(ops)
        echo.sent()
        for path, value in ops.replaces:
            current.setdefault(KEY, {})[path] = value
            echo.committed(KEY, SetOps(replaces=((path, value),)))
        echo.reset(current)
        gone = _deleted(ops, qualify=qualify)
        delete = SetOps(deletes=tuple(p for p, _ in ops.replaces))
        echo.sending(delete)
        assert not echo.foreign(gone, RENDERER.watches), platform  # in flight
        echo.sent()
        for p in delete.deletes:
            echo.committed(KEY, SetOps(deletes=(p,)))
        assert not echo.foreign(gone, RENDERER.watches), platform  # trailing, after the commit
        assert echo.walks == 0, platform
    # a replace that keeps a leaf: its delete is not ours
    echo, current = filt()
    current[KEY] = {PORT: VALUE}
    echo.reset(current)
    echo.committed(KEY, SetOps(replaces=((PORT, VALUE),)))
    echo.sending(SetOps(replaces=((PORT, {"config": {"interface-mode": "TRUNK", "trunk-vlans": [100]}}),)))
    assert echo.foreign(note(str(PORT) + "/config/interface-mode", delete=True), RENDERER.watches)
    assert not echo.foreign(note(str(PORT) + "/config/trunk-vlans", list=[100]), RENDERER.watches)


def test_a_prefix_names_the_common_part_of_paths():
    for platform, qualify in (("openconfig", False), ("srlinux", True)):
        ops = _objects(platform)
        n = _emulator_notification(ops, qualify=qualify)
        echo = Counting(lambda: {})
        echo.sending(ops)
        assert not any(echo.foreign(m, RENDERER.watches) for m in _with_prefix(n, 2)), platform
        echo.sent()
        echo.committed(KEY, ops)
        assert not any(echo.foreign(m, RENDERER.watches) for m in _with_prefix(n, 2)), platform
        assert echo.walks == 0
    echo, current = filt()
    current[KEY] = {PORT: VALUE}
    echo.reset(current)
    echo.committed(KEY, SetOps(replaces=((PORT, VALUE),)))
    trunk = str(PORT) + "/config/trunk-vlans"
    (ok,) = _with_prefix(note(trunk, list=[100, 101]), 2)
    (drift,) = _with_prefix(note(trunk, list=[100, 101, 7]), 2)
    (removed,) = _with_prefix(note(trunk, delete=True), 3)
    assert not echo.foreign(ok, RENDERER.watches)
    assert echo.foreign(drift, RENDERER.watches)
    assert echo.foreign(removed, RENDERER.watches)  # someone removed it


def test_state_the_platform_does_not_watch_takes_no_walk():
    echo = Counting(lambda: {})
    state = "/network-instances/network-instance[name=default]/connection-points"
    state += "/connection-point[connection-point-id=x]/endpoints/endpoint[endpoint-id=vtep]/vxlan"
    state += "/endpoint-vnis/endpoint-vni[vni=5]/state/l2-l3"
    assert not echo.foreign(note(state, string="L2"), RENDERER.watches)
    assert not echo.foreign(note(state, delete=True), RENDERER.watches)
    assert echo.walks == 0


def test_a_set_whose_echo_trails_its_answer_is_still_ours_by_lookup():
    """The leaves of a Set are flattened lazily (not before it leaves), yet against what the switch
    had before it: when no notification came during the Set, its answer does it, before the worker
    commits the Set to what it knows (here: the objects dropped from ``current`` first, as
    ``_commit_key`` does), so the removals trailing the commit are still ours by one lookup."""
    ops = _objects("openconfig")
    current: dict = {}
    echo = Counting(lambda: current)
    for path, value in ops.replaces:
        current.setdefault(KEY, {})[path] = value
        echo.committed(KEY, SetOps(replaces=((path, value),)))
    echo.reset(current)
    delete = SetOps(deletes=tuple(p for p, _ in ops.replaces))
    echo.sending(delete)
    echo.sent()  # the answer came first: nothing was asked during the Set
    for p in delete.deletes:
        del current[KEY][p]
        echo.committed(KEY, SetOps(deletes=(p,)))
    assert not echo.foreign(_deleted(ops, qualify=False), RENDERER.watches)
    assert echo.walks == 0


class Decoding(Counting):
    """Counts the values the filter decodes (the bytes of a VLAN list it recognises are not)."""

    decoded = 0

    def _echoed(self, text, value, deleted):  # type: ignore[no-untyped-def]
        self.decoded += not deleted
        return super()._echoed(text, value, deleted)


def test_a_vlan_list_we_sent_is_recognised_by_its_bytes_and_any_other_is_still_drift():
    """A port's VLAN list is rewritten whole by every attach on it and notified whole: recognised by
    comparing its bytes with what we sent (in flight) or wrote lately (after the commit), without
    decoding it. A list of the same length with one VLAN changed is drift; the same VLANs in another
    order are decoded and compared as before, and are ours."""
    vlans = list(range(100, 250))
    value = {"config": {"interface-mode": "TRUNK", "trunk-vlans": vlans}}
    current: dict = {}
    echo = Decoding(lambda: current)
    trunk = str(PORT) + "/config/trunk-vlans"
    echo.sending(SetOps(replaces=((PORT, value),)))
    assert not echo.foreign(note(trunk, list=vlans), RENDERER.watches)
    assert (echo.decoded, echo.walks) == (0, 0)
    assert echo.foreign(note(trunk, list=[*vlans[:-1], 4000]), RENDERER.watches)
    echo.sent()
    current[KEY] = {PORT: value}
    echo.committed(KEY, SetOps(replaces=((PORT, value),)))
    echo.decoded = echo.walks = 0
    assert not echo.foreign(note(trunk, list=vlans), RENDERER.watches)  # a trailing echo
    assert echo.decoded == 0
    assert not echo.foreign(note(trunk, list=vlans[::-1]), RENDERER.watches)
    assert echo.decoded == 1
    assert echo.foreign(note(trunk, list=[7, *vlans[1:]]), RENDERER.watches)


def test_what_a_rewrite_removes_is_ours_whether_or_not_the_last_set_wrote_the_old_value():
    """The leaves a replace removes are the old value's minus the new one's: the old value's are taken
    from the last Set when it wrote that very value (a port rewritten Set after Set), else flattened;
    either way the same leaves, never the key leaves of the entries above the object."""
    first = {"config": {"interface-mode": "TRUNK", "native-vlan": 5, "trunk-vlans": [100]}}
    second = {"config": {"interface-mode": "TRUNK", "trunk-vlans": [100, 101]}}
    native = str(PORT) + "/config/native-vlan"
    for via_last_set in (True, False):
        current: dict = {}
        echo = Counting(lambda current=current: current)
        if via_last_set:
            echo.sending(SetOps(replaces=((PORT, first),)))
            echo.sent()
        current[KEY] = {PORT: first}
        echo.committed(KEY, SetOps(replaces=((PORT, first),)))
        echo.reset(current)
        echo.sending(SetOps(replaces=((PORT, second),)))
        assert not echo.foreign(note(native, delete=True), RENDERER.watches), via_last_set
        assert echo._gone == {str(PORT): [native]}, via_last_set
        echo.sent()
        current[KEY] = {PORT: second}
        echo.committed(KEY, SetOps(replaces=((PORT, second),)))
        echo.sending(SetOps(deletes=(PORT,)))  # the last Set wrote `second`: its leaves, not the interface's name
        echo.sent()
        leaves = ["interface-mode", "trunk-vlans"]
        assert echo._gone == {str(PORT): [f"{PORT}/config/{leaf}" for leaf in leaves]}, via_last_set
        assert echo.walks == 0


def test_a_notification_over_the_bound_is_foreign_unread():
    # a switch can pack hundreds of thousands of updates in one notification: reading them held the loop;
    # past MAX_UPDATES the drift watch asks for a verification pass (a Get) instead, not a single value decoded
    from controller.reconcile.echo import MAX_UPDATES

    echo, _ = filt()
    unwatched = "/interfaces/interface[name=ethernet-1/1]/config/description"
    at = to_pb(parse(unwatched))
    small = gnmi_pb2.Notification(update=[gnmi_pb2.Update(path=at, val=gnmi_pb2.TypedValue(string_val="x"))] * 10)
    assert not echo.foreign(small, RENDERER.watches)  # nothing fabricd watches: not drift
    undecodable = gnmi_pb2.TypedValue(json_ietf_val=b"{not json")
    big = gnmi_pb2.Notification(update=[gnmi_pb2.Update(path=at, val=undecodable)] * (MAX_UPDATES + 1))
    assert echo.foreign(big, RENDERER.watches)
    assert (echo.oversized, echo.malformed) == (1, 0)  # taken whole, no value read

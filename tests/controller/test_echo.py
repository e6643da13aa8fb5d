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
        missed = [leaf_text(pb) for pb, v, d in items if not echo._echoed(pb, v, d)]
        assert missed == [], platform
        echo.sent()
        echo.committed(KEY, ops)
        assert [leaf_text(pb) for pb, v, d in items if not echo._echoed(pb, v, d)] == []
        assert not echo.foreign(n, RENDERER.watches)
    u = n.update[0]
    other = gnmi_pb2.Update(path=u.path, val=gnmi_pb2.TypedValue(string_val="someone-else"))
    assert not echo._echoed(other.path, "someone-else", False)

"""Our own Sets echo back on the drift stream: recognised by content."""

from __future__ import annotations

from pygnmi.spec.v080 import gnmi_pb2

from controller.gnmi.convert import to_pb
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

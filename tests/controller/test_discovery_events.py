"""gNMI LLDP notifications -> LldpState events (pure conversion)."""

from __future__ import annotations

from pygnmi.spec.v080 import gnmi_pb2

from controller.discovery.lldp import events_of
from controller.gnmi.convert import to_pb
from models.oc.path import parse
from topology import NeighborDelete, NeighborUpdate

NB = "/lldp/interfaces/interface[name=ethernet-1/1]/neighbors/neighbor[id=aa:bb]"


def update(path: str, **val: object) -> gnmi_pb2.Update:
    ((kind, v),) = val.items()
    return gnmi_pb2.Update(path=to_pb(parse(path)), val=gnmi_pb2.TypedValue(**{kind: v}))


def test_leaf_updates_of_one_neighbour_become_one_update():
    n = gnmi_pb2.Notification(
        update=[
            update(NB + "/state/system-name", string_val="server1"),
            update(NB + "/state/port-id", string_val="eth1"),
            update(NB + "/state/port-id-type", string_val="INTERFACE_NAME"),
            update(
                "/lldp/interfaces/interface[name=ethernet-1/2]/neighbors/neighbor[id=cc]/state/system-name",
                string_val="server2",
            ),
        ]
    )
    evs = events_of("sw1", n, 5.0)
    assert evs == [
        NeighborUpdate(
            switch="sw1",
            local_port="ethernet-1/1",
            neighbor_id="aa:bb",
            values={"system-name": "server1", "port-id": "eth1", "port-id-type": "INTERFACE_NAME"},
            at=5.0,
        ),
        NeighborUpdate(
            switch="sw1", local_port="ethernet-1/2", neighbor_id="cc", values={"system-name": "server2"}, at=5.0
        ),
    ]


def test_prefix_and_json_values():
    n = gnmi_pb2.Notification(
        prefix=to_pb(parse(NB)),
        update=[
            gnmi_pb2.Update(
                path=to_pb(parse("/state")),
                val=gnmi_pb2.TypedValue(json_ietf_val=b'{"openconfig-lldp:system-name": "s1"}'),
            )
        ],
    )
    [ev] = events_of("sw1", n, 1.0)
    assert ev.values == {"openconfig-lldp:system-name": "s1"} and ev.local_port == "ethernet-1/1"


def test_deletes_at_each_level():
    n = gnmi_pb2.Notification(
        delete=[to_pb(parse(NB)), to_pb(parse("/lldp/interfaces/interface[name=ethernet-1/3]")), to_pb(parse("/lldp"))]
    )
    assert events_of("sw1", n, 2.0) == [
        NeighborDelete(switch="sw1", local_port="ethernet-1/1", neighbor_id="aa:bb", at=2.0),
        NeighborDelete(switch="sw1", local_port="ethernet-1/3", neighbor_id=None, at=2.0),
        NeighborDelete(switch="sw1", local_port=None, neighbor_id=None, at=2.0),
    ]


def test_other_paths_are_ignored():
    n = gnmi_pb2.Notification(update=[update("/interfaces/interface[name=e]/state/oper-status", string_val="UP")])
    assert events_of("sw1", n, 0.0) == []


def test_the_lldp_throttle_allows_a_burst_then_a_steady_rate():
    from controller.discovery.lldp import Throttle

    now = [0.0]
    t = Throttle(burst=100, rate=10.0, clock=lambda: now[0])
    assert all(t.take() == 0.0 for _ in range(100))  # a whole first dump at once
    assert t.take() == 0.1  # then one per 1/rate seconds
    now[0] += 0.1
    assert t.take() == 0.1
    now[0] += 60.0  # a quiet minute refills the burst, never beyond it
    assert sum(1 for _ in range(100) if t.take() == 0.0) == 100
    assert t.take() > 0

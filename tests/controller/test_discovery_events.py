"""gNMI LLDP notifications -> LldpState events (pure conversion), for each
platform's LLDP paths (profile data: discovery names no vendor)."""

from __future__ import annotations

from pygnmi.spec.v080 import gnmi_pb2

from controller.discovery.lldp import events_of
from controller.gnmi.convert import to_pb
from models.oc.path import parse
from models.platforms.profile import OPENCONFIG, SRLINUX
from topology import LldpState, NeighborDelete, NeighborUpdate

NB = "/lldp/interfaces/interface[name=ethernet-1/1]/neighbors/neighbor[id=aa:bb]"
OC = OPENCONFIG.lldp
SRL = SRLINUX.lldp


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
    evs = events_of("sw1", n, 5.0, OC)
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
    [ev] = events_of("sw1", n, 1.0, OC)
    assert ev.values == {"openconfig-lldp:system-name": "s1"} and ev.local_port == "ethernet-1/1"


def test_deletes_at_each_level():
    n = gnmi_pb2.Notification(
        delete=[to_pb(parse(NB)), to_pb(parse("/lldp/interfaces/interface[name=ethernet-1/3]")), to_pb(parse("/lldp"))]
    )
    assert events_of("sw1", n, 2.0, OC) == [
        NeighborDelete(switch="sw1", local_port="ethernet-1/1", neighbor_id="aa:bb", at=2.0),
        NeighborDelete(switch="sw1", local_port="ethernet-1/3", neighbor_id=None, at=2.0),
        NeighborDelete(switch="sw1", local_port=None, neighbor_id=None, at=2.0),
    ]


def test_other_paths_are_ignored():
    n = gnmi_pb2.Notification(update=[update("/interfaces/interface[name=e]/state/oper-status", string_val="UP")])
    assert events_of("sw1", n, 0.0, OC) == []


# ------------------------------------------------------------- SR Linux

SRL_NB = "/system/lldp/interface[name=ethernet-1/1]/neighbor[id=1A:2B:3C:4D:5E:6F]"


def test_srlinux_native_neighbour_leaves_and_containers():
    """SR Linux streams neighbour leaves below ``/system/lldp`` with module
    names on its path elements (``srl_nokia-system:system``), or a whole
    neighbour as JSON with module-qualified members."""
    leaf = gnmi_pb2.Update(path=to_pb(parse(SRL_NB + "/system-name")), val=gnmi_pb2.TypedValue(string_val="server1"))
    for e, module in zip(leaf.path.elem, ("srl_nokia-system", "srl_nokia-lldp"), strict=False):
        e.name = f"{module}:{e.name}"
    whole = gnmi_pb2.Update(
        path=to_pb(parse("/system/lldp/interface[name=ethernet-1/2]/neighbor[id=x]")),
        val=gnmi_pb2.TypedValue(
            json_ietf_val=b'{"system-name": "server2", "port-id": "eth1", "port-id-type": "INTERFACE_NAME",'
            b' "chassis-id": "00:11:22:33:44:55", "chassis-id-type": "MAC_ADDRESS",'
            b' "management-address": [{"address": "10.0.0.2", "type": ["IPv4"]}]}'
        ),
    )
    evs = events_of("leaf1", gnmi_pb2.Notification(update=[leaf, whole]), 3.0, SRL)
    assert evs[0] == NeighborUpdate(
        switch="leaf1",
        local_port="ethernet-1/1",
        neighbor_id="1A:2B:3C:4D:5E:6F",
        values={"system-name": "server1"},
        at=3.0,
    )
    state = LldpState().apply_all(evs)
    (record,) = state.records(3.0)
    assert (record.local_port, record.system_name, record.port_id) == ("ethernet-1/2", "server2", "eth1")


def test_srlinux_neighbour_gone_and_other_system_paths():
    n = gnmi_pb2.Notification(
        delete=[to_pb(parse(SRL_NB)), to_pb(parse("/system/lldp/interface[name=ethernet-1/3]"))],
        update=[
            gnmi_pb2.Update(
                path=to_pb(parse("/system/lldp/interface[name=ethernet-1/1]/oper-state")),
                val=gnmi_pb2.TypedValue(string_val="up"),
            ),
            gnmi_pb2.Update(path=to_pb(parse("/system/name/host-name")), val=gnmi_pb2.TypedValue(string_val="x")),
        ],
    )
    assert events_of("leaf1", n, 4.0, SRL) == [
        NeighborDelete(switch="leaf1", local_port="ethernet-1/1", neighbor_id="1A:2B:3C:4D:5E:6F", at=4.0),
        NeighborDelete(switch="leaf1", local_port="ethernet-1/3", neighbor_id=None, at=4.0),
    ]
    # OpenConfig's paths mean nothing on SR Linux's table, and the other way round
    assert events_of("leaf1", gnmi_pb2.Notification(delete=[to_pb(parse(NB))]), 4.0, SRL) == []
    assert events_of("sw1", gnmi_pb2.Notification(delete=[to_pb(parse(SRL_NB))]), 4.0, OC) == []


def test_srlinux_a_ports_neighbour_list_at_once():
    """A Get-shaped answer: the port's ``neighbor`` list as one JSON value."""
    n = gnmi_pb2.Notification(
        update=[
            gnmi_pb2.Update(
                path=to_pb(parse("/system/lldp/interface[name=ethernet-1/1]")),
                val=gnmi_pb2.TypedValue(
                    json_ietf_val=b'{"neighbor": [{"id": "1A:EB:01:FF:00:00", "system-name": "n2",'
                    b' "port-id": "ethernet-1/1", "port-id-type": "INTERFACE_NAME"}]}'
                ),
            )
        ]
    )
    [ev] = events_of("leaf1", n, 1.0, SRL)
    assert (ev.local_port, ev.neighbor_id, ev.values["system-name"]) == ("ethernet-1/1", "1A:EB:01:FF:00:00", "n2")


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


def test_a_notification_read_in_pieces_builds_the_same_table_as_read_whole():
    # a big notification is read a piece at a time (the loop serves the API in between): deletes first, as gNMI
    # applies them, and a neighbour whose leaves fall in two pieces merges into the same record
    from controller.discovery.lldp import pieces

    other = "/lldp/interfaces/interface[name=ethernet-1/2]/neighbors/neighbor[id=cc]"
    leaves = [("system-name", "server1"), ("port-id", "eth1"), ("port-id-type", "INTERFACE_NAME")]
    n = gnmi_pb2.Notification(
        delete=[to_pb(parse(other))],
        update=[update(NB + f"/state/{k}", string_val=v) for k, v in leaves]
        + [update(other + f"/state/{k}", string_val=v.replace("1", "2")) for k, v in leaves],
    )
    parts = list(pieces(n, size=2))
    assert [(len(p.delete), len(p.update)) for p in parts] == [(1, 0), (0, 2), (0, 2), (0, 2)]
    assert list(pieces(n, size=7)) == [n]

    def table(notes):
        state = LldpState()
        state.apply(NeighborUpdate(switch="sw1", local_port="ethernet-1/2", neighbor_id="cc", values={}, at=1.0))
        for note in notes:
            state.apply_all(events_of("sw1", note, 5.0, OC))
        return state.neighbors

    assert table(parts) == table([n])
    assert set(table(parts)["sw1"]["ethernet-1/1"]["aa:bb"].values) >= {("system-name", "server1")}

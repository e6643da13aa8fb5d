"""lldpd's json0 neighbours as OpenConfig LLDP state."""

from __future__ import annotations

from labs.emulator.linux.lldpmap import diff, neighbours
from labs.emulator.srlinux.state import SrlinuxState


def iface(name, system, chassis, port_type, port_id, descr, ttl="20", chassis_type="mac"):
    return {
        "name": name,
        "via": "LLDP",
        "rid": "1",
        "age": "0 day, 00:00:03",
        "chassis": [
            {
                "id": [{"type": chassis_type, "value": chassis}],
                "name": [{"value": system}],
                "descr": [{"value": f"fabric-lab {system}"}],
            }
        ],
        "port": [{"id": [{"type": port_type, "value": port_id}], "descr": [{"value": descr}], "ttl": [{"value": ttl}]}],
    }


PORTS = {"e1-1": "ethernet-1/1", "e1-49": "ethernet-1/49"}


def doc(*ifaces):
    return {"lldp": [{"interface": list(ifaces)}]}


def test_neighbours_are_keyed_by_openconfig_port_and_chassis_id():
    got = neighbours(
        doc(
            iface("e1-1", "server1", "aa:bb:cc:00:00:01", "ifname", "eth1", "eth1"),
            iface("e1-49", "spine1", "aa:bb:cc:00:00:02", "local", "ethernet-1/1", "ethernet-1/1"),
            iface("br1111", "ghost", "aa:bb:cc:00:00:03", "ifname", "x", "x"),
        ),
        PORTS,
    )
    assert set(got) == {("ethernet-1/1", "aa:bb:cc:00:00:01"), ("ethernet-1/49", "aa:bb:cc:00:00:02")}
    server = got[("ethernet-1/1", "aa:bb:cc:00:00:01")]
    assert server == {
        "id": "aa:bb:cc:00:00:01",
        "system-name": "server1",
        "port-id": "eth1",
        "port-id-type": "INTERFACE_NAME",
        "chassis-id": "aa:bb:cc:00:00:01",
        "chassis-id-type": "MAC_ADDRESS",
        "port-description": "eth1",
        "system-description": "fabric-lab server1",
        "ttl": 20,
    }
    # a switch's OpenConfig port name, sent with the local subtype, is the interface name it stands for
    assert got[("ethernet-1/49", "aa:bb:cc:00:00:02")]["port-id-type"] == "INTERFACE_NAME"


def test_other_local_port_ids_stay_local():
    got = neighbours(doc(iface("e1-1", "x", "aa:bb:cc:00:00:09", "local", "port 7", "p7", chassis_type="local")), PORTS)
    state = next(iter(got.values()))
    assert (state["port-id-type"], state["chassis-id-type"]) == ("LOCAL", "LOCAL")


def test_empty_and_odd_documents_give_no_neighbours():
    assert neighbours({}, PORTS) == {}
    assert neighbours({"lldp": [{}]}, PORTS) == {}
    assert neighbours({"lldp": "nope"}, PORTS) == {}


def test_diff_deletes_gone_and_replaces_new_or_changed():
    a = neighbours(doc(iface("e1-1", "server1", "aa:bb:cc:00:00:01", "ifname", "eth1", "eth1")), PORTS)
    b = neighbours(doc(iface("e1-49", "spine1", "aa:bb:cc:00:00:02", "local", "ethernet-1/1", "e")), PORTS)
    ops = diff(a, b)
    assert [(op.kind, str(op.path)) for op in ops] == [
        ("delete", "/lldp/interfaces/interface[name=ethernet-1/1]/neighbors/neighbor[id=aa:bb:cc:00:00:01]"),
        ("update", "/lldp/interfaces/interface[name=ethernet-1/49]"),
        ("replace", "/lldp/interfaces/interface[name=ethernet-1/49]/neighbors/neighbor[id=aa:bb:cc:00:00:02]"),
    ]
    assert ops[2].value["state"]["system-name"] == "spine1"
    assert diff(b, b) == []


def test_srlinux_neighbours_go_to_the_native_paths():
    """The same lldpd neighbour, as an SR Linux reports it (no ttl, the
    first and last message seen)."""
    b = neighbours(doc(iface("e1-49", "spine1", "aa:bb:cc:00:00:02", "local", "ethernet-1/1", "e")), PORTS)
    ops = diff({}, b, SrlinuxState())
    assert [(op.kind, str(op.path)) for op in ops] == [
        ("update", "/system/lldp/interface[name=ethernet-1/49]"),
        ("replace", "/system/lldp/interface[name=ethernet-1/49]/neighbor[id=aa:bb:cc:00:00:02]"),
    ]
    leaves = ops[1].value
    assert (leaves["system-name"], leaves["port-id"], leaves["port-id-type"]) == (
        "spine1",
        "ethernet-1/1",
        "INTERFACE_NAME",
    )
    assert "ttl" not in leaves and leaves["first-message"] == leaves["last-update"]

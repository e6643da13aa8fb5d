from __future__ import annotations

import pytest

from models.oc.path import parse
from models.oc.tree import Tree, TreeError, canonical, leaves

VLAN = "/network-instances/network-instance[name=default]/vlans/vlan[vlan-id=100]"
PORT = "/interfaces/interface[name=ethernet-1/1]/ethernet/switched-vlan"


def test_replace_creates_parents_and_typed_keys():
    t = Tree()
    t.replace(parse(VLAN), {"config": {"vlan-id": 100, "name": "v"}})
    assert t.get(parse(VLAN)) == {"config": {"vlan-id": 100, "name": "v"}, "vlan-id": 100}
    assert t.get(parse("/network-instances/network-instance[name=default]"))["name"] == "default"


def test_replace_drops_what_is_not_given_update_merges():
    t = Tree()
    t.replace(parse(PORT), {"config": {"interface-mode": "TRUNK", "trunk-vlans": [1, 2], "native-vlan": 9}})
    t.update(parse(PORT), {"config": {"trunk-vlans": [3]}})
    assert t.get(parse(PORT)) == {"config": {"interface-mode": "TRUNK", "trunk-vlans": [3], "native-vlan": 9}}
    t.replace(parse(PORT), {"config": {"interface-mode": "TRUNK", "trunk-vlans": [4]}})
    assert t.get(parse(PORT)) == {"config": {"interface-mode": "TRUNK", "trunk-vlans": [4]}}


def test_delete_prunes_empty_containers_but_keeps_entries():
    t = Tree()
    t.replace(parse(PORT + "/config"), {"interface-mode": "TRUNK", "trunk-vlans": [1]})
    assert t.delete(parse(PORT))
    assert t.to_json(qualify=False) == {"interfaces": {"interface": [{"name": "ethernet-1/1"}]}}
    assert not t.delete(parse(PORT))
    assert not t.delete(parse("/nothing/here[x=1]"))


def test_json_round_trip_with_module_prefixes():
    doc = {
        "openconfig-interfaces:interfaces": {
            "interface": [
                {
                    "name": "ethernet-1/1",
                    "openconfig-if-ethernet:ethernet": {
                        "openconfig-vlan:switched-vlan": {"config": {"interface-mode": "TRUNK"}}
                    },
                }
            ]
        }
    }
    t = Tree.from_json(doc)
    assert t.to_json() == doc
    assert "interfaces" in t.root


def test_identity_keys_match_with_or_without_prefix():
    t = Tree()
    base = "/network-instances/network-instance[name=default]/protocols"
    t.replace(
        parse(base),
        {"protocol": [{"identifier": "openconfig-policy-types:BGP", "name": "BGP", "config": {"name": "BGP"}}]},
    )
    assert t.get(parse(base + "/protocol[identifier=BGP][name=BGP]/config")) == {"name": "BGP"}


def test_errors_name_the_path():
    t = Tree()
    with pytest.raises(TreeError, match=r"vlans/vlan: list entry lacks its key vlan-id"):
        t.replace(parse("/network-instances/network-instance[name=default]/vlans"), {"vlan": [{"config": {}}]})
    with pytest.raises(TreeError, match="differs from the path"):
        t.replace(parse(VLAN), {"vlan-id": 101})
    with pytest.raises(TreeError, match="needs exactly the keys"):
        t.replace(parse("/network-instances/network-instance[id=x]"), {})
    with pytest.raises(TreeError, match="does not know the keys"):
        t.replace(parse("/x"), {"y": [{"a": 1}]})
    assert t.root == {}


def test_find_with_wildcards():
    t = Tree()
    for v in (100, 200):
        t.replace(parse(f"/network-instances/network-instance[name=default]/vlans/vlan[vlan-id={v}]"), {})
    found = t.find(parse("/network-instances/network-instance/vlans/vlan[vlan-id=*]/vlan-id"))
    assert sorted(v for _, v in found) == [100, 200]
    assert [str(p) for p, _ in t.find(parse("/.../vlan[vlan-id=200]"))] == [
        "/network-instances/network-instance[name=default]/vlans/vlan[vlan-id=200]"
    ]


def test_leaves_and_canonical():
    t = Tree()
    t.replace(parse(PORT + "/config"), {"interface-mode": "TRUNK", "trunk-vlans": [3, 1]})
    assert dict((str(p), v) for p, v in leaves(t.root))[
        "/interfaces/interface[name=ethernet-1/1]/ethernet/switched-vlan/config/trunk-vlans"
    ] == [3, 1]
    assert canonical({"a:b": ["x:Y", 2, 1], "t": "openconfig-x:L2VSI"}) == {"b": [1, 2, "x:Y"], "t": "L2VSI"}


def test_put_restores_a_saved_subtree_with_its_parents():
    t = Tree()
    t.replace(parse(VLAN), {"config": {"vlan-id": 100, "name": "v"}})
    saved = t.get(parse(VLAN))
    assert t.delete(parse(VLAN))
    assert t.root == {"network-instances": {"network-instance": {("default",): {"name": "default"}}}}
    t.put(parse(VLAN), saved)
    assert t.get(parse(VLAN)) is saved
    t.delete(parse("/network-instances"))
    t.put(parse(VLAN), saved)
    assert t.to_json(qualify=False)["network-instances"]["network-instance"][0]["vlans"]["vlan"] == [
        {"config": {"vlan-id": 100, "name": "v"}, "vlan-id": 100}
    ]
    root = t.root
    t.put(parse("/"), {})
    assert t.root == {}
    t.put(parse("/"), root)
    assert t.root is root


def test_loopback_addresses_are_a_keyed_list():
    doc = {
        "openconfig-interfaces:interfaces": {
            "interface": [
                {
                    "name": "loopback0",
                    "subinterfaces": {
                        "subinterface": [
                            {
                                "index": 0,
                                "openconfig-if-ip:ipv4": {
                                    "addresses": {"address": [{"ip": "10.0.0.1", "config": {"prefix-length": 32}}]}
                                },
                            }
                        ]
                    },
                }
            ]
        }
    }
    t = Tree.from_json(doc)
    addr = "/interfaces/interface[name=loopback0]/subinterfaces/subinterface[index=0]/ipv4/addresses"
    assert t.get(parse(addr + "/address[ip=10.0.0.1]/config")) == {"prefix-length": 32}
    assert t.to_json() == doc


def _present_by_prefix(t: Tree, path) -> int:
    """present()'s definition: the longest prefix get() finds, one get() per prefix."""
    n = 0
    for i in range(1, len(path.elems) + 1):
        if t.get(type(path)(path.elems[:i])) is None:
            break
        n = i
    return n


def test_present_is_the_longest_prefix_get_finds():
    t = Tree()
    t.replace(parse(VLAN), {"config": {"vlan-id": 100, "name": "v"}})
    t.replace(parse(PORT), {"config": {"interface-mode": "TRUNK", "trunk-vlans": [1, 2]}})
    paths = [
        "/", VLAN, VLAN + "/config/name", VLAN + "/config/nope", VLAN + "/config/name/deeper",
        "/network-instances/network-instance[name=default]/vlans/vlan[vlan-id=101]/config",
        "/network-instances/network-instance[name=blue]/vlans",
        "/network-instances/network-instance/vlans",  # an unkeyed list element mid-path
        "/network-instances/network-instance", PORT + "/config/trunk-vlans", "/interfaces/interface[name=x]",
        "/nothing/here",
    ]  # fmt: skip
    for text in paths:
        p = parse(text)
        assert t.present(p) == _present_by_prefix(t, p), text
    assert t.present(parse(VLAN + "/config/name")) == 6
    assert t.present(parse("/nothing/here")) == 0


def test_present_names_the_prefix_when_keys_are_wrong():
    t = Tree()
    t.replace(parse(VLAN), {"config": {"vlan-id": 100}})
    named = r"^/network-instances/network-instance\[id=x\]: network-instance needs exactly the keys"
    with pytest.raises(TreeError, match=named):
        t.present(parse("/network-instances/network-instance[id=x]/vlans/vlan[vlan-id=100]/config"))


def test_entry_keys_are_remembered_per_element_and_place_and_the_memory_is_bounded(monkeypatch):
    """A list entry's key is read from its path element once per element and
    schema place (every descent asks): a wrong element still fails every
    time, and the memory starts over when full, lookups still right."""
    from models.oc import tree as tree_mod

    monkeypatch.setattr(tree_mod, "_entry_keys", {})
    monkeypatch.setattr(tree_mod, "_ENTRY_KEYS_MAX", 8)
    t = Tree()
    t.replace(parse(VLAN), {"config": {"vlan-id": 100}})
    assert t.get(parse(VLAN + "/config/vlan-id")) == 100
    for _ in range(2):  # not remembered: still refused
        with pytest.raises(TreeError, match="needs exactly the keys"):
            t.get(parse("/network-instances/network-instance[id=default]/vlans"))
    for v in range(101, 140):
        t.replace(parse(f"/network-instances/network-instance[name=default]/vlans/vlan[vlan-id={v}]"), {})
        assert len(tree_mod._entry_keys) <= 8
    assert [t.get(parse(f"/network-instances/network-instance[name=default]/vlans/vlan[vlan-id={v}]/vlan-id"))
            for v in (100, 120, 139)] == [100, 120, 139]  # fmt: skip

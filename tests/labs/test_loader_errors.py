"""Malformed lab files give one error naming the file, the field and the
value; the messages are golden (golden/loader_errors.txt)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from labs.errors import LabFileError
from labs.files.topofile import load_lab, parse_lab
from tests.labs.golden import check_golden

BASE: dict[str, Any] = {
    "name": "t",
    "topology": {
        "nodes": {
            "sw1": {
                "kind": "linux",
                "labels": {"fabricd.role": "leaf", "fabricd.asn": 65001, "fabricd.router-id": "10.0.0.11"},
            },
            "sw2": {
                "kind": "linux",
                "labels": {"fabricd.role": "leaf", "fabricd.asn": 65002, "fabricd.router-id": "10.0.0.12"},
            },
            "server1": {"kind": "linux", "labels": {"fabricd.role": "node"}},
        },
        "links": [
            {"endpoints": ["sw1:e1-1", "server1:eth1"]},
            {"endpoints": ["sw2:e1-1", "server1:eth2"]},
        ],
    },
}
SIDECAR: dict[str, Any] = {
    "expect": {
        "lldp": {"sw1": {"ethernet-1/1": "server1:eth1"}},
        "segments": {"blue": {"vni": 1111, "vlan": 10}, "red": {"vni": 3333, "vlan": 30}},
        "endpoints": {
            "b1": {"segment": "blue", "nic": "server1:eth1", "address": "10.1.0.1/24"},
            "r1": {"segment": "red", "nic": "server1:eth2", "address": "10.1.0.2/24"},
        },
        "reach": {"blue": ["b1"]},
        "isolate": {"red-blue": {"from": ["r1"], "to": ["b1"]}},
    }
}


def clab(change: Callable[[dict[str, Any]], object]) -> str:
    doc = copy.deepcopy(BASE)
    change(doc)
    return yaml.safe_dump(doc, sort_keys=False)


def side(change: Callable[[dict[str, Any]], object]) -> str:
    doc = copy.deepcopy(SIDECAR)
    change(doc)
    return yaml.safe_dump(doc, sort_keys=False)


def nodes(d):
    return d["topology"]["nodes"]


def labels(d, node):
    return d["topology"]["nodes"][node]["labels"]


def links(d):
    return d["topology"]["links"]


def exp(d):
    return d["expect"]


OK = clab(lambda d: None)

# name -> (topology text, sidecar text or None)
CASES: dict[str, tuple[str, str | None]] = {
    "yaml-syntax": ("name: t\ntopology:\n  nodes: [sw1,\n", None),
    "top-level-list": ("- name\n- topology\n", None),
    "missing-name": (clab(lambda d: d.pop("name")), None),
    "bad-name": (clab(lambda d: d.update(name="my lab")), None),
    "missing-topology": (clab(lambda d: d.pop("topology")), None),
    "missing-nodes": (clab(lambda d: d["topology"].pop("nodes")), None),
    "empty-nodes": (clab(lambda d: d["topology"].update(nodes={})), None),
    "vendor-kind": (clab(lambda d: nodes(d)["sw1"].update(kind="arista_ceos")), None),
    "srlinux-kind-of-another-platform": (
        clab(
            lambda d: (
                nodes(d)["sw1"].update(kind="nokia_srlinux"),
                labels(d, "sw1").update({"fabricd.platform": "openconfig"}),
            )
        ),
        None,
    ),
    "srlinux-kind-as-a-server": (clab(lambda d: nodes(d)["server1"].update(kind="nokia_srlinux")), None),
    "missing-role": (clab(lambda d: labels(d, "sw1").pop("fabricd.role")), None),
    "unknown-role": (clab(lambda d: labels(d, "sw1").update({"fabricd.role": "router"})), None),
    "unknown-platform": (clab(lambda d: labels(d, "sw1").update({"fabricd.platform": "eos"})), None),
    "switch-on-server-platform": (
        clab(lambda d: labels(d, "sw1").update({"fabricd.platform": "linux"})),
        None,
    ),
    "node-on-switch-platform": (
        clab(lambda d: labels(d, "server1").update({"fabricd.platform": "openconfig"})),
        None,
    ),
    "unknown-fabricd-label": (clab(lambda d: labels(d, "sw1").update({"fabricd.routerid": "1.1.1.1"})), None),
    "switch-without-router-id": (clab(lambda d: labels(d, "sw2").pop("fabricd.router-id")), None),
    "switch-without-asn": (clab(lambda d: labels(d, "sw2").pop("fabricd.asn")), None),
    "asn-too-big": (clab(lambda d: labels(d, "sw1").update({"fabricd.asn": 4294967296})), None),
    "bad-router-id": (clab(lambda d: labels(d, "sw1").update({"fabricd.router-id": "10.0.0.300"})), None),
    "duplicate-router-id": (
        clab(lambda d: labels(d, "sw2").update({"fabricd.router-id": "10.0.0.11"})),
        None,
    ),
    "link-not-a-mapping": (clab(lambda d: links(d).append("sw1:e1-2 server1:eth3")), None),
    "link-one-endpoint": (clab(lambda d: links(d).append({"endpoints": ["sw1:e1-2"]})), None),
    "endpoint-not-node-iface": (
        clab(lambda d: links(d).append({"endpoints": ["sw1-e1-2", "sw2:e1-2"]})),
        None,
    ),
    "link-to-unknown-node": (clab(lambda d: links(d).append({"endpoints": ["sw1:e1-2", "sw9:e1-1"]})), None),
    "iface-unknown-to-platform": (
        clab(lambda d: links(d).append({"endpoints": ["sw1:eth5", "sw2:e1-2"]})),
        None,
    ),
    "iface-in-openconfig-form": (
        clab(lambda d: links(d).append({"endpoints": ["sw1:ethernet-1/2", "sw2:e1-2"]})),
        None,
    ),
    "port-used-twice": (clab(lambda d: links(d).append({"endpoints": ["sw2:e1-2", "sw1:e1-1"]})), None),
    "link-type-unsupported": (
        clab(lambda d: links(d).append({"type": "vxlan", "endpoint": {"node": "sw1", "interface": "e1-9"}})),
        None,
    ),
    "bad-mtu": (clab(lambda d: links(d)[0].update(mtu=20)), None),
    "sidecar-yaml-syntax": (OK, "gnmi: {username: admin\n"),
    "sidecar-unknown-key": (OK, side(lambda d: d.update(gnmi={"tls": True}))),
    "sidecar-bad-validate": (OK, side(lambda d: d.update(validate="slow"))),
    "sidecar-4-byte-evpn-asn": (OK, side(lambda d: d.update(evpn_asn=4200000000))),
    "sidecar-plaintext-with-client-auth": (
        OK,
        side(lambda d: d.update(gnmi={"plaintext": True, "client_auth": True})),
    ),
    "lldp-unknown-switch": (OK, side(lambda d: exp(d)["lldp"].update(sw9={"ethernet-1/1": "server1:eth1"}))),
    "lldp-on-a-node": (OK, side(lambda d: exp(d)["lldp"].update(server1={"eth1": "sw1:ethernet-1/1"}))),
    "lldp-port-not-linked": (
        OK,
        side(lambda d: exp(d)["lldp"]["sw1"].update({"ethernet-1/7": "server1:eth1"})),
    ),
    "lldp-port-not-a-port-name": (OK, side(lambda d: exp(d)["lldp"]["sw1"].update({"eth1": "server1:eth1"}))),
    "lldp-wrong-neighbour": (
        OK,
        side(lambda d: exp(d)["lldp"]["sw1"].update({"ethernet-1/1": "server1:eth2"})),
    ),
    "lldp-unknown-neighbour": (
        OK,
        side(lambda d: exp(d)["lldp"]["sw1"].update({"ethernet-1/1": "server7:eth1"})),
    ),
    "lldp-neighbour-not-node-port": (
        OK,
        side(lambda d: exp(d)["lldp"]["sw1"].update({"ethernet-1/1": "server1"})),
    ),
    "endpoint-unknown-node": (OK, side(lambda d: exp(d)["endpoints"]["b1"].update(nic="server9:eth1"))),
    "endpoint-on-a-switch": (OK, side(lambda d: exp(d)["endpoints"]["b1"].update(nic="sw1:e1-1"))),
    "endpoint-nic-not-linked": (OK, side(lambda d: exp(d)["endpoints"]["b1"].update(nic="server1:eth3"))),
    "endpoint-unknown-segment": (OK, side(lambda d: exp(d)["endpoints"]["b1"].update(segment="green"))),
    "endpoint-without-prefix": (OK, side(lambda d: exp(d)["endpoints"]["b1"].update(address="10.1.0.1"))),
    "endpoint-duplicate-address": (
        OK,
        side(lambda d: exp(d)["endpoints"]["r1"].update(address="10.1.0.1/24")),
    ),
    "endpoint-vlan-clash": (
        OK,
        side(
            lambda d: (
                exp(d)["segments"]["red"].update(vlan=10),
                exp(d)["endpoints"]["r1"].update(nic="server1:eth1"),
            )
        ),
    ),
    "segment-vni-too-big": (OK, side(lambda d: exp(d)["segments"]["blue"].update(vni=99999999))),
    "segment-vlan-too-big": (OK, side(lambda d: exp(d)["segments"]["blue"].update(vlan=5000))),
    "segment-duplicate-vni": (OK, side(lambda d: exp(d)["segments"]["red"].update(vni=1111))),
    "reach-unknown-endpoint": (OK, side(lambda d: exp(d)["reach"].update(blue=["b1", "b9"]))),
    "isolate-unknown-endpoint": (OK, side(lambda d: exp(d)["isolate"]["red-blue"].update(to=["b7"]))),
    "isolate-empty": (OK, side(lambda d: exp(d)["isolate"]["red-blue"].update(to=[]))),
}


def message(case: str) -> str:
    text, sidecar = CASES[case]
    with pytest.raises(LabFileError) as info:
        parse_lab(text, "t.clab.yml", sidecar_text=sidecar, sidecar_file="t.fabric.yml" if sidecar else None)
    err = info.value
    assert str(err).startswith(f"{err.file}: {err.field}: ")
    return str(err)


def test_the_base_cases_load():
    lab = parse_lab(OK, "t.clab.yml", sidecar_text=side(lambda d: None), sidecar_file="t.fabric.yml")
    assert [sw.name for sw in lab.switches()] == ["sw1", "sw2"]
    assert lab.sidecar.expect.lldp[0].neighbor_port == "eth1"


def test_golden_messages():
    got = "".join(f"{case}: {message(case)}\n" for case in CASES)
    check_golden("loader_errors.txt", got)


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_message_names_file_and_field(case):
    text = message(case)
    assert text.startswith(("t.clab.yml: ", "t.fabric.yml: "))
    assert "\n" not in text


def test_unreadable_files(tmp_path):
    with pytest.raises(LabFileError, match=r"missing\.clab\.yml: \(file\): cannot read it: No such file"):
        load_lab(tmp_path / "missing.clab.yml")
    (tmp_path / "x.clab.yml").write_text(OK)
    with pytest.raises(LabFileError, match=r"other\.fabric\.yml: \(file\): cannot read it"):
        load_lab(tmp_path / "x.clab.yml", sidecar=tmp_path / "other.fabric.yml")
    # the sidecar beside the file is optional ...
    assert load_lab(tmp_path / "x.clab.yml").sidecar_file is None
    # ... and found by name when present
    (tmp_path / "x.fabric.yml").write_text("validate: full\n")
    lab = load_lab(tmp_path / "x.clab.yml")
    assert lab.sidecar_file == tmp_path / "x.fabric.yml" and lab.sidecar.validate == "full"


def test_inherited_kind_and_labels():
    doc = copy.deepcopy(BASE)
    doc["topology"]["defaults"] = {"kind": "linux"}
    doc["topology"]["kinds"] = {"linux": {"labels": {"fabricd.role": "node"}}}
    doc["topology"]["groups"] = {"leaves": {"labels": {"fabricd.role": "leaf", "fabricd.platform": "openconfig"}}}
    doc["topology"]["nodes"] = {
        "sw1": {"group": "leaves", "labels": {"fabricd.asn": "65001", "fabricd.router-id": "10.0.0.11"}},
        "sw2": {"group": "leaves", "labels": {"fabricd.asn": 4200000002, "fabricd.router-id": "10.0.0.12"}},
        "server1": None,
    }
    lab = parse_lab(yaml.safe_dump(doc, sort_keys=False), "t.clab.yml")
    assert [(n.name, n.role, n.asn) for n in lab.nodes.values()] == [
        ("sw1", "leaf", 65001),
        ("sw2", "leaf", 4200000002),
        ("server1", "node", None),
    ]


def test_extended_veth_links():
    doc = copy.deepcopy(BASE)
    doc["topology"]["links"] = [
        {
            "type": "veth",
            "endpoints": [{"node": "sw1", "interface": "e1-1"}, {"node": "server1", "interface": "eth1"}],
        }
    ]
    lab = parse_lab(yaml.safe_dump(doc, sort_keys=False), "t.clab.yml")
    assert [(str(link.a), str(link.b)) for link in lab.links] == [("sw1:e1-1", "server1:eth1")]

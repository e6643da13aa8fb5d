"""The scale-lab generator writes labs the loader and the spec builder take."""

from __future__ import annotations

import dataclasses

import pytest

from labs.files import generate as gen
from labs.files.build import build_specs
from labs.files.topofile import load_lab


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen")
    assert gen.main(["--leaves", "600", "--spines", "4", "--servers-per-leaf", "2", "-o", str(out)]) == 0
    return load_lab(out / "gen-4s600l2m.clab.yml")


def test_600_leaves_load_with_unique_ids_and_valid_ports(big):
    leaves = [n for n in big.nodes.values() if n.role == "leaf"]
    spines = [n for n in big.nodes.values() if n.role == "spine"]
    assert (len(leaves), len(spines), len(big.nodes)) == (600, 4, 604 + 1200)
    assert len({n.router_id for n in big.switches()}) == 604
    assert len({n.asn for n in leaves}) == 600
    # 2-byte private ASNs while they last, 4-byte after
    assert big.nodes["leaf534"].asn == 65534 and big.nodes["leaf535"].asn == 4_200_000_535
    assert str(big.nodes["leaf600"].router_id) == "10.1.2.100"
    # spines: 64 ports per line card
    spine1 = [p.names.oc for p in big.ports("spine1")]
    assert len(spine1) == 600 and spine1[0] == "ethernet-1/1" and spine1[-1] == "ethernet-10/24"
    assert big.peer(big.ports("spine1")[64]).node == "leaf65"
    leaf1 = [p.names.clab for p in big.ports("leaf1")]
    assert leaf1 == ["e1-1", "e1-2", "e1-49", "e1-50", "e1-51", "e1-52"]
    # expectations are complete and checked against the links by the loader
    assert len(big.sidecar.expect.lldp) == 600 * 6 + 4 * 600


def test_specs_of_a_generated_lab(big):
    gnmi = dataclasses.replace(big.sidecar.gnmi, plaintext=True)
    plain = dataclasses.replace(big, sidecar=dataclasses.replace(big.sidecar, gnmi=gnmi))
    specs = build_specs(plain, tls=None, credentials=None)
    assert len(specs) == 604 and specs[-1].name == "leaf600" and len(specs[-1].lldp) == 6


def test_dual_homed_pairs_leaves(tmp_path):
    clab, sidecar = gen.generate(leaves=4, spines=2, servers_per_leaf=4, dual_homed=True, name="pairs")
    topo, _ = gen.write(tmp_path, clab, sidecar)
    lab = load_lab(topo)
    assert lab.name == "pairs"
    assert [str(lab.peer(p)) for p in lab.ports("server1")] == ["leaf1:e1-1", "leaf2:e1-1"]
    assert [str(lab.peer(p)) for p in lab.ports("server5")] == ["leaf3:e1-1", "leaf4:e1-1"]
    assert len([n for n in lab.nodes.values() if n.role == "node"]) == 8
    eps = {e.name: (e.node, e.nic) for e in lab.sidecar.expect.endpoints}
    assert eps == {"a": ("server1", "eth1"), "b": ("server8", "eth1"), "c": ("server2", "eth1")}


def test_many_servers_move_the_uplinks():
    clab, _ = gen.generate(leaves=2, spines=2, servers_per_leaf=60)
    ends = [e for link in clab["topology"]["links"] for e in link["endpoints"] if e.startswith("leaf1:")]
    assert "leaf1:e1-61" in ends and "leaf1:e1-62" in ends and "leaf1:e1-49" in ends


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"leaves": 3, "spines": 1, "servers_per_leaf": 1, "dual_homed": True}, "odd number"),
        ({"leaves": 2, "spines": 2, "servers_per_leaf": 998}, "do not fit"),
        ({"leaves": 0, "spines": 1, "servers_per_leaf": 1}, "need --leaves >= 1"),
        ({"leaves": 6400, "spines": 1, "servers_per_leaf": 0}, "leaves do not fit"),
    ],
)
def test_impossible_labs(kwargs, message):
    with pytest.raises(gen.GenerateError, match=message):
        gen.generate(**kwargs)


def test_cli_usage_error(tmp_path, capsys):
    assert gen.main(["--leaves", "3", "--dual-homed", "-o", str(tmp_path)]) == 2
    assert "odd number" in capsys.readouterr().err

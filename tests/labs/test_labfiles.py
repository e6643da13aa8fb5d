"""The shipped lab files: valid containerlab, and what they must contain."""

from __future__ import annotations

import json

import pytest
import yaml

from labs.files.generate import generate
from labs.files.topofile import load_lab
from tests.labs.conftest import LABS
from tests.thirdparty import CLAB_SCHEMA, require


@pytest.fixture(scope="module")
def validator():
    """containerlab's own schema, read from ../shared (or $FABRIC_CLAB_SCHEMA):
    the tests that use it skip, saying where to get it, where it is absent."""
    import jsonschema

    schema = json.loads(require(CLAB_SCHEMA).read_text())
    assert schema["$schema"].startswith("http://json-schema.org/draft-07")
    return jsonschema.Draft7Validator(schema)


@pytest.mark.parametrize("name", ["seed", "dc-2s4l", "seed-srl", "dc-2s4l-srl", "mixed"])
def test_lab_file_is_valid_containerlab(validator, name):
    doc = yaml.safe_load((LABS / f"{name}.clab.yml").read_text())
    errors = [e.message for e in validator.iter_errors(doc)]
    assert errors == []
    kinds = {n["kind"] for n in doc["topology"]["nodes"].values()}
    assert kinds == ({"linux"} if name in ("seed", "dc-2s4l") else {"linux", "nokia_srlinux"})


@pytest.mark.parametrize(("srl", "oc"), [("seed-srl", "seed"), ("dc-2s4l-srl", "dc-2s4l")])
def test_the_sr_linux_labs_are_their_openconfig_twins_on_sr_linux(srl, oc):
    """Same wiring, names, ASNs, router-ids and expectations; every switch a
    pinned 25.3 SR Linux of containerlab's default type, with its startup-config."""
    a, b = load_lab(LABS / f"{srl}.clab.yml"), load_lab(LABS / f"{oc}.clab.yml")
    assert _links(a) == _links(b)
    assert {n: (x.role, x.asn, x.router_id) for n, x in a.nodes.items()} == {
        n: (x.role, x.asn, x.router_id) for n, x in b.nodes.items()
    }
    assert a.sidecar.expect == b.sidecar.expect
    for sw in a.switches():
        assert (sw.kind, sw.platform, sw.type, sw.image) == (
            "nokia_srlinux",
            "srlinux",
            "ixr-d2l",  # containerlab's SRLinuxDefaultType, stated
            "ghcr.io/nokia/srlinux:25.3.1",
        )
        assert (LABS / str(sw.startup_config)).is_file()


def test_schema_rejects_a_key_containerlab_does_not_know(validator):
    """The validation above can fail: an extra node key is refused."""
    doc = yaml.safe_load((LABS / "seed.clab.yml").read_text())
    doc["topology"]["nodes"]["sw1"]["fabricd-asn"] = 65001
    assert any("fabricd-asn" in e.message for e in validator.iter_errors(doc))
    doc = yaml.safe_load((LABS / "seed.clab.yml").read_text())
    doc["topology"]["nodes"]["sw1"]["labels"]["fabricd.asn"] = -1
    assert list(validator.iter_errors(doc))


@pytest.mark.parametrize(
    ("leaves", "spines", "per_leaf", "dual"),
    [(4, 2, 4, True), (3, 1, 2, False), (512, 4, 2, False), (2, 0, 1, False)],
)
def test_generated_labs_are_valid_containerlab(validator, leaves, spines, per_leaf, dual):
    clab, _ = generate(leaves=leaves, spines=spines, servers_per_leaf=per_leaf, dual_homed=dual)
    errors = [e.message for e in validator.iter_errors(json.loads(json.dumps(clab)))]
    assert errors == []


def _links(lab):
    return {frozenset((str(link.a), str(link.b))) for link in lab.links}


def test_seed_wiring(seed):
    assert [n.name for n in seed.switches()] == ["spine1", "sw1", "sw2"]
    assert {n.name for n in seed.nodes.values() if n.role == "node"} == {"server1", "server2", "server3"}
    want = {frozenset(("sw1:e1-49", "spine1:e1-1")), frozenset(("sw2:e1-49", "spine1:e1-2"))}
    for i in (1, 2, 3):
        want |= {frozenset((f"server{i}:eth1", f"sw1:e1-{i}")), frozenset((f"server{i}:eth2", f"sw2:e1-{i}"))}
    assert _links(seed) == want


def test_dc_2s4l_wiring(dc):
    assert {n.name: n.role for n in dc.switches()} == {
        "spine1": "spine",
        "spine2": "spine",
        **{f"leaf{i}": "leaf" for i in range(1, 5)},
    }
    want = set()
    for i in range(1, 5):
        want |= {
            frozenset((f"leaf{i}:e1-49", f"spine1:e1-{i}")),
            frozenset((f"leaf{i}:e1-50", f"spine2:e1-{i}")),
        }
    for s in range(1, 9):
        first = 1 if s <= 4 else 3
        port = (s - 1) % 4 + 1
        want |= {
            frozenset((f"server{s}:eth1", f"leaf{first}:e1-{port}")),
            frozenset((f"server{s}:eth2", f"leaf{first + 1}:e1-{port}")),
        }
    assert _links(dc) == want


def test_switch_labels(seed, dc):
    for lab in (seed, dc):
        ids = [sw.router_id for sw in lab.switches()]
        assert len(set(ids)) == len(ids)
        for sw in lab.switches():
            assert sw.platform == "openconfig" and sw.asn and sw.router_id
        for node in lab.nodes.values():
            if node.role == "node":
                assert node.platform == "linux" and node.asn is None
    assert any(sw.asn > 65535 for sw in dc.switches()), "dc-2s4l exercises a 4-byte ASN"
    assert seed.sidecar.evpn_asn == dc.sidecar.evpn_asn == 65000


@pytest.mark.parametrize("name", ["seed", "dc", "seed-srl", "dc-2s4l-srl", "mixed"])
def test_lldp_expectations_cover_every_switch_port(request, name):
    lab = request.getfixturevalue(name) if name in ("seed", "dc") else load_lab(LABS / f"{name}.clab.yml")
    want = set()
    for sw in lab.switches():
        for port in lab.ports(sw.name):
            peer = lab.peer(port)
            want.add((sw.name, port.names.oc, peer.node, peer.names.lldp))
    got = {(e.switch, e.port, e.neighbor, e.neighbor_port) for e in lab.sidecar.expect.lldp}
    assert got == want


def test_sidecars(seed, dc):
    for lab in (seed, dc):
        assert lab.sidecar.gnmi.plaintext is False and lab.sidecar.gnmi.username == "admin"
        assert lab.sidecar.validate == "fast"
    segs = {s.name: (s.vni, s.vlan) for s in seed.sidecar.expect.segments}
    assert segs == {"blue": (1111, 10), "green": (2222, 20), "red": (3333, 30)}
    eps = {e.name: e for e in dc.sidecar.expect.endpoints}
    s1, s5, s2 = eps["server1-vlan10"], eps["server5-vlan10"], eps["server2-vlan20"]
    assert (s1.node, s1.nic, s5.node, s5.nic) == ("server1", "eth1", "server5", "eth1")
    assert s1.address.network == s5.address.network == s2.address.network
    assert [r.members for r in dc.sidecar.expect.reach] == [("server1-vlan10", "server5-vlan10")]
    iso = dc.sidecar.expect.isolate[0]
    assert (iso.sources, iso.targets) == (("server2-vlan20",), ("server1-vlan10", "server5-vlan10"))

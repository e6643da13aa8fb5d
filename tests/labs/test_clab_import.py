"""The importer of containerlab's topology-data.json: fabricd's inventory
and port map of a lab containerlab deployed. The sample
(tests/data/clab-seed-srl/topology-data.json) is built by hand after
containerlab's export template (core/export_templates/auto.tmpl) for
labs/seed-srl.clab.yml; no containerlab ran here."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from controller.settings.inventory import parse_inventory
from labs.cli import main
from labs.errors import LabFileError
from labs.files.clab_import import import_topology_data
from labs.files.topofile import load_lab
from labs.run.certs import create_ca
from labs.run.inventory import portmap
from tests.labs.conftest import LABS

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "clab-seed-srl" / "topology-data.json"


@pytest.fixture
def deployed(tmp_path: Path) -> Path:
    """A lab directory as containerlab leaves it: topology-data.json and the CA."""
    lab_dir = tmp_path / "clab-seed-srl"
    (lab_dir / ".tls" / "ca").mkdir(parents=True)
    (lab_dir / ".tls" / "ca" / "ca.pem").write_bytes(create_ca("clab seed-srl CA").cert_pem)
    (lab_dir / "topology-data.json").write_text(SAMPLE.read_text())
    (tmp_path / "password").write_text("NokiaSrl1!\n")
    return lab_dir / "topology-data.json"


def test_the_inventory_of_a_deployed_sr_linux_lab(deployed: Path):
    inv, ports = import_topology_data(
        json.loads(deployed.read_text()), source=deployed, password_file=deployed.parent.parent / "password"
    )
    sw1 = inv["switches"]["sw1"]
    assert (sw1["address"], sw1["platform"], sw1["role"], sw1["asn"], sw1["router_id"]) == (
        "172.20.20.3",
        "srlinux",
        "leaf",
        65001,
        "10.0.0.11",
    )
    assert sw1["tls"] == {"ca_file": str(deployed.parent / ".tls/ca/ca.pem"), "server_name": "sw1"}
    assert list(inv["switches"]) == ["spine1", "sw1", "sw2"]
    # the port map is the topology file's, from what containerlab exported
    assert ports == portmap(load_lab(LABS / "seed-srl.clab.yml"))
    # and fabricd reads the inventory: a bare address is SR Linux's gNMI port 57400
    parsed = {s.name: s for s in parse_inventory(inv, base=deployed.parent).switches}
    assert parsed["sw1"].address == "172.20.20.3:57400"
    assert parsed["sw1"].tls is not None and parsed["sw1"].tls.server_name == "sw1"


def test_interfaces_given_in_the_switch_form_are_containerlab_names_in_the_port_map(deployed: Path):
    doc = json.loads(deployed.read_text())
    link = next(lk for lk in doc["links"] if lk["endpoints"]["z"]["node"] == "sw1")
    link["endpoints"]["z"]["interface"] = "ethernet-1/1"  # containerlab accepts both forms for SR Linux
    _, ports = import_topology_data(doc, source=deployed, password_file="pw")
    assert ports["server1/eth1"] == "sw1/e1-1"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["nodes"]["sw1"].update(
                kind="linux", labels={**d["nodes"]["sw1"]["labels"], "fabricd.platform": "openconfig"}
            ),
            "nodes.sw1: switch sw1 is of platform 'openconfig' (kind linux), which containerlab runs without a gNMI "
            "server; only srlinux switches can be imported",
        ),
        (
            lambda d: d["nodes"]["sw2"].update({"mgmt-ipv4-address": ""}),
            "nodes.sw2.mgmt-ipv4-address: '' is not an IPv4 address",
        ),
        (
            lambda d: d["nodes"]["sw2"]["labels"].pop("fabricd.asn"),
            "nodes.sw2.labels.fabricd.asn: missing: a leaf needs it",
        ),
        (lambda d: d.pop("nodes"), "nodes: missing: not containerlab's topology-data.json"),
    ],
)
def test_what_cannot_be_imported_is_named(deployed: Path, change, message):
    doc = copy.deepcopy(json.loads(deployed.read_text()))
    change(doc)
    with pytest.raises(LabFileError) as err:
        import_topology_data(doc, source=deployed, password_file="pw")
    assert str(err.value) == f"{deployed}: {message}"


def test_fabric_lab_import_clab_writes_both(deployed: Path, capsys):
    out = deployed.parent.parent
    argv = ["import-clab", str(deployed), "--password-file", str(out / "password")]
    assert main([*argv, "-o", str(out / "inventory.yml"), "--portmap", str(out / "portmap.yml")]) == 0
    text = (out / "inventory.yml").read_text()
    assert text.startswith("# fabricd switch inventory of containerlab lab seed-srl")
    assert "address: 172.20.20.2" in text and "platform: srlinux" in text
    assert "server2/eth2: sw2/e1-2" in (out / "portmap.yml").read_text()
    assert main(["import-clab", str(out / "missing.json"), "--password-file", "pw"]) == 2
    assert "cannot read it as JSON" in capsys.readouterr().err

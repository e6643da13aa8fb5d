"""The inventory and port map formats fabricd consumes (golden files)."""

from __future__ import annotations

import pytest
import yaml

from labs.run.inventory import inventory, portmap, to_yaml
from labs.run.statefile import LabState, SwitchRecord
from tests.labs.golden import check_golden


def _state(lab, *, plaintext=False) -> LabState:
    sdir = f"/run/fabric-lab/{lab.name}"
    switches = tuple(
        SwitchRecord(
            name=sw.name,
            address=f"127.0.0.1:{40001 + i}",
            platform=sw.platform,
            role=sw.role,
            asn=sw.asn,
            router_id=str(sw.router_id),
            vtep_interface="loopback0",
            cert_file=None if plaintext else f"{sdir}/pki/{sw.name}.crt",
        )
        for i, sw in enumerate(lab.switches())
    )
    return LabState(
        lab=lab.name,
        lab_file=str(lab.file),
        lab_sha256="0" * 64,
        sidecar_file=None,
        state_dir=sdir,
        phase="running",
        started_at="2026-01-01T00:00:00+00:00",
        dataplane="none",
        evpn_asn=lab.sidecar.evpn_asn,
        plaintext=plaintext,
        client_auth=False,
        ca_file=None if plaintext else f"{sdir}/pki/ca.crt",
        client_cert_file=None if plaintext else f"{sdir}/pki/client-fabricd.crt",
        client_key_file=None if plaintext else f"{sdir}/pki/client-fabricd.key",
        username="admin",
        password_file=f"{sdir}/gnmi-password",
        switches=switches,
    )


@pytest.mark.parametrize("name", ["seed", "dc"])
def test_inventory_golden(request, name):
    lab = request.getfixturevalue(name)
    text = to_yaml(inventory(_state(lab)), header=f"fabricd switch inventory of lab {lab.name}")
    check_golden(f"{lab.name}.inventory.yml", text)
    doc = yaml.safe_load(text)
    assert set(doc["switches"]) == {sw.name for sw in lab.switches()}


def test_plaintext_inventory_has_no_tls(seed):
    doc = inventory(_state(seed, plaintext=True))
    assert all(s["plaintext"] and "tls" not in s for s in doc["switches"].values())


@pytest.mark.parametrize("name", ["seed", "dc"])
def test_portmap_golden(request, name):
    lab = request.getfixturevalue(name)
    text = to_yaml(portmap(lab), header=f"static port map of lab {lab.name}")
    check_golden(f"{lab.name}.portmap.yml", text)


def test_portmap_of_seed(seed):
    assert portmap(seed) == {f"server{i}/eth{n}": f"sw{n}/e1-{i}" for i in (1, 2, 3) for n in (1, 2)}


def test_state_file_round_trip(dc):
    state = _state(dc)
    assert LabState.from_json(state.to_json()) == state

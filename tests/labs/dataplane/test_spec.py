"""A switch spec of a Linux lab survives SPECS.json, and build_specs wants
every switch's namespace for dataplane linux."""

from __future__ import annotations

import pytest

from labs.files.build import build_specs
from labs.files.spec import LinuxSwitchSpec, specs_from_json, specs_to_json

LX = LinuxSwitchSpec(
    netns="fdt1-seed-sw1",
    lldp_socket="/s/n/sw1/lldpd.sock",
    frr_dir="/s/n/sw1/frr",
    asn=65001,
    router_id="10.0.0.11",
    ports={"ethernet-1/1": "e1-1", "ethernet-1/49": "e1-49"},
    vlan_backend="tagger",
    vlan_socket="/s/n/sw1/vlan.sock",
)


def test_the_shipped_labs_run_the_linux_dataplane(seed, dc):
    assert (seed.sidecar.dataplane, dc.sidecar.dataplane) == ("linux", "linux")


def test_build_specs_for_linux(seed):
    from dataclasses import replace

    lab = replace(seed, sidecar=replace(seed.sidecar, gnmi=replace(seed.sidecar.gnmi, plaintext=True)))
    linux = {name: replace(LX, netns=f"fdt1-seed-{name}") for name in ("spine1", "sw1", "sw2")}
    specs = build_specs(lab, tls=None, credentials=None, dataplane="linux", linux=linux)
    assert [s.linux.netns for s in specs] == ["fdt1-seed-spine1", "fdt1-seed-sw1", "fdt1-seed-sw2"]
    back, admin = specs_from_json(specs_to_json(specs, admin="127.0.0.1:0"))
    assert admin == "127.0.0.1:0" and back == specs
    assert build_specs(lab, tls=None, credentials=None)[0].linux is None  # in-process default: none
    with pytest.raises(ValueError, match="no namespace for sw2"):
        build_specs(lab, tls=None, credentials=None, dataplane="linux", linux={"spine1": LX, "sw1": LX})

"""Host-global names carry the run's prefix; socket paths must fit."""

from __future__ import annotations

from pathlib import Path

import pytest

from labs.dataplane import names
from labs.errors import LabRunError


def test_netns_names_carry_prefix_and_lab(seed, tmp_path):
    records = names.node_records(seed, tmp_path, "fdt42-")
    assert [r.netns for r in records][:3] == ["fdt42-seed-spine1", "fdt42-seed-sw1", "fdt42-seed-sw2"]
    sw1 = records[1]
    assert sw1.frr_dir == str(tmp_path / "n" / "sw1" / "frr")
    assert sw1.lldp_socket == str(tmp_path / "n" / "sw1" / "lldpd.sock")
    assert next(r for r in records if r.name == "server1").frr_dir is None


def test_prefix_from_the_environment(monkeypatch):
    monkeypatch.setenv(names.ENV_PREFIX, "fdt7-")
    assert names.prefix() == "fdt7-"
    monkeypatch.delenv(names.ENV_PREFIX)
    assert names.prefix() == names.DEFAULT_PREFIX
    monkeypatch.setenv(names.ENV_PREFIX, "a b")
    with pytest.raises(LabRunError, match="FABRIC_LAB_PREFIX"):
        names.prefix()


def test_a_state_directory_too_deep_for_unix_sockets_is_refused(seed):
    deep = Path("/tmp") / ("d" * 90)
    with pytest.raises(LabRunError, match="longer than 107 bytes: use a shorter --state-dir"):
        names.node_records(seed, deep, "fl-")


def test_unusable_namespace_names_are_refused():
    with pytest.raises(LabRunError, match="not usable"):
        names.netns_name("fl-", "lab", "x" * 80)

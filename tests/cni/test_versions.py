"""Spec versions: choosing one with a delegate, converting results into the
shape of every version from 0.1.0 to 1.1.0, chaining after a prevResult.
Golden files, one per case and version: tests/golden/cni/results/<case>/<version>.json."""

from __future__ import annotations

import pytest

from cni.plugin import versions
from cni.plugin.errors import CniError
from tests.golden_util import GOLDEN, check_json

# what the macvlan plugin (1.1.1, speaking 1.0.0) answered in the lab
MACVLAN_100 = {
    "cniVersion": "1.0.0",
    "interfaces": [{"name": "net1", "mac": "72:e8:c4:24:70:c1", "sandbox": "/var/run/netns/pod1"}],
    "ips": [
        {"interface": 0, "address": "10.10.0.11/24", "gateway": "10.10.0.1"},
        {"interface": 0, "address": "fd00:10::11/64"},
    ],
    "routes": [{"dst": "10.99.0.0/16", "gw": "10.10.0.1"}],
    "dns": {},
}
# a 1.1.0 result with the fields 1.1.0 added
RICH_110 = {
    "cniVersion": "1.1.0",
    "interfaces": [{"name": "net1", "mac": "02:00:00:00:00:01", "sandbox": "/run/netns/p", "mtu": 1500}],
    "ips": [{"interface": 0, "address": "10.1.0.5/24"}],
    "routes": [{"dst": "0.0.0.0/0", "gw": "10.1.0.1", "mtu": 1400, "table": 100, "scope": 0}],
    "dns": {"nameservers": ["10.1.0.53"]},
}
# a 0.4.0 prevResult of an earlier plugin in a chain
PREV_040 = {
    "cniVersion": "0.4.0",
    "interfaces": [{"name": "eth0", "mac": "0a:58:0a:f4:00:05", "sandbox": "/run/netns/p"}],
    "ips": [{"version": "4", "interface": 0, "address": "10.244.0.5/24", "gateway": "10.244.0.1"}],
    "dns": {"nameservers": ["10.96.0.10"]},
}


def test_parse_and_choose():
    assert versions.parse("1.0.0") < versions.parse("1.1.0") < versions.parse("1.10.0")
    with pytest.raises(ValueError):
        versions.parse("1.0")
    debian_111 = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0"]
    assert versions.choose_delegate_version(debian_111) == "1.0.0"
    assert versions.choose_delegate_version(["0.3.1", "0.4.0"]) == "0.4.0"
    assert versions.choose_delegate_version([*debian_111, "1.1.0"]) == "1.1.0"
    assert versions.choose_delegate_version(["0.2.0"]) is None


def test_require_supported():
    assert versions.require_supported("0.3.1") == "0.3.1"
    with pytest.raises(CniError, match=r"'0\.5\.0' is not supported"):
        versions.require_supported("0.5.0")
    versions.require_command("CHECK", "0.4.0")
    with pytest.raises(CniError, match="config version does not allow CHECK"):
        versions.require_command("CHECK", "0.3.1")


CASES = {"macvlan-100": MACVLAN_100, "rich-110": RICH_110}


@pytest.mark.parametrize("version", versions.SUPPORTED)
@pytest.mark.parametrize("case", CASES)
def test_results_in_every_version(case, version):
    """Item 19: each version's own result shape (libcni's types 020, 040, 100)."""
    out = versions.result_for(versions.normalize(CASES[case]), version)
    assert out["cniVersion"] == version
    if version in ("0.1.0", "0.2.0"):
        assert set(out) == {"cniVersion", "ip4", "ip6", "dns"} - ({"ip6"} if case == "rich-110" else set())
        assert set(out["ip4"]) <= {"ip", "gateway", "routes"}
    elif version in ("0.3.0", "0.3.1", "0.4.0"):
        assert all(ip["version"] in ("4", "6") and ip["interface"] == 0 for ip in out["ips"])
        assert all(set(i) <= {"name", "mac", "sandbox"} for i in out["interfaces"])
    else:
        assert all("version" not in ip for ip in out["ips"])
    check_json(GOLDEN / "cni" / "results" / case / f"{version}.json", out)


def test_a_020_result_needs_an_address():
    no_ip = {"interfaces": [{"name": "net1"}], "ips": [], "dns": {}}
    with pytest.raises(versions.NoAddress):
        versions.result_for(no_ip, "0.2.0")
    assert versions.result_for(no_ip, "0.3.0")["ips"] == []


def test_a_020_result_reads_back():
    old = versions.result_for(versions.normalize(MACVLAN_100), "0.2.0")
    assert versions.normalize(old) == {
        "ips": [{"address": "10.10.0.11/24", "gateway": "10.10.0.1"}, {"address": "fd00:10::11/64"}],
        "routes": [{"dst": "10.99.0.0/16", "gw": "10.10.0.1"}],
        "dns": {},
    }


def test_round_trip_through_040_keeps_the_result():
    kept = versions.normalize(MACVLAN_100)
    assert versions.normalize(versions.result_for(kept, "0.4.0")) == kept


def test_chained_after_a_prev_result():
    chained = versions.chain(versions.normalize(PREV_040), versions.normalize(MACVLAN_100))
    assert [i["name"] for i in chained["interfaces"]] == ["eth0", "net1"]
    assert [(ip["interface"], ip["address"]) for ip in chained["ips"]] == [
        (0, "10.244.0.5/24"),
        (1, "10.10.0.11/24"),
        (1, "fd00:10::11/64"),
    ]
    assert chained["dns"] == {"nameservers": ["10.96.0.10"]}
    check_json(GOLDEN / "cni" / "results" / "chained-040.json", versions.result_for(chained, "0.4.0"))
    assert versions.chain(None, MACVLAN_100) == versions.normalize(MACVLAN_100)

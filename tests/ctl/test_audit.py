"""fabricctl audit: exit 0 only when clean; findings as a table, JSON, YAML."""

from __future__ import annotations


async def test_no_switch_is_a_clean_audit(api):
    r = await api.ctl("audit")
    assert (r.code, r.out) == (0, "clean: 0 switch(es) audited, intent, configuration and forwarding agree\n")
    r = await api.ctl("-o", "json", "audit")
    assert r.code == 0 and r.json() == {"switches": [], "findings": [], "more": 0, "clean": True}


async def test_unreachable_switches_are_findings(offline):
    r = await offline.ctl("audit")
    assert r.code == 1, r.err
    lines = r.out.splitlines()
    assert lines[0].split() == ["KIND", "SWITCH", "VNI", "PORT", "PEER", "DETAIL"]
    assert [line.split()[:2] for line in lines[1:3]] == [["unreachable", "sw1"], ["unreachable", "sw2"]]
    assert lines[-1] == "2 finding(s) on 2 switch(es) audited"
    r = await offline.ctl("-o", "yaml", "audit", "sw2")
    assert r.code == 1 and [f["switch"] for f in r.yaml()["findings"]] == ["sw2"]
    r = await offline.ctl("audit", "nope")
    assert r.code == 1 and "switches: 'nope' is not a managed leaf" in r.err

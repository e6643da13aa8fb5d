"""fabricd's deviation module against Nokia's SR Linux models: it restates
the ``must`` rules libyang (2.1.30) reads differently from what they mean,
never drops one, and every restated rule still refuses what it exists for
(one document each in tests/golden/srlinux/must)."""

from __future__ import annotations

import re
import subprocess

import pytest

from models.oc.path import parse
from models.platforms.profile import SRLINUX
from tests.golden_util import GOLDEN, check_text
from tests.models import srl_yang, yang_text

MUST = GOLDEN / "srlinux" / "must"

#: each restated rule and Nokia's error-message for it
RULES = {
    "R1": "The bgp-evpn configuration is not possible on network-instance of type default.",
    "R2": "vlan-id only configurable if vlan-tagging enabled on parent interface",
    "R3": "untagged only configurable if vlan-tagging enabled on parent interface",
    "R4": "single-tagged-range only configurable if vlan-tagging enabled on parent interface",
    "R5": "tpid only configurable to TPID_0X8100 when vlan-tagging is not true",
    "R6": "subinterface with type local-mirror-dest cannot be configured on network-instance",
    "R7": "subinterface with type local-mirror-dest cannot be configured on network-instance",
    "R8": "ipv4 configuration not allowed on bridged or local-mirror-dest subinterfaces",
    "R9": "ipv6 configuration not allowed on bridged or local-mirror-dest subinterfaces",
    "R10": "ip-mtu not allowed with type bridged or type local-mirror-dest",
    "R11": "vlan-tagging and aggregate-id can not be configured together",
    "R12": "tpid and aggregate-id can not be configured together",
    "R13": "One of the address families must be enabled.",
    "R14": "One of the address families must be enabled.",
    "R15": "One of the address families must be enabled.",
    "R16": "mode should not be disabled to set leading-only to true.",
    "R17": "mode should not be disabled if ignore-peer-as has to be true.",
}


#: where a rule fires, when its message alone does not tell (R13-R15 share one)
RULE_AT = {"R13": "bgp/admin-state", "R14": "bgp/group[", "R15": "bgp/neighbor["}


def rule(name: str) -> str:
    return name.removeprefix("ok-").split("-", 1)[0]


def _by_rule(names: list[str]) -> list[str]:
    return sorted(names, key=lambda n: (int(rule(n)[1:]), n))


REJECTED = _by_rule([p.name for p in MUST.glob("R*.json")])
ACCEPTED = _by_rule([p.name for p in MUST.glob("ok-*.json")])


def test_every_rule_has_a_document_that_must_be_rejected():
    assert sorted({rule(n) for n in REJECTED}) == sorted(RULES)


@pytest.mark.parametrize("name", REJECTED)
def test_a_restated_rule_still_rejects_what_it_exists_for(name):
    verdict = srl_yang.validate(MUST / name)
    assert not verdict.ok, f"{name} was accepted"
    assert RULES[rule(name)] in verdict.errors.splitlines()[0], verdict.errors
    assert RULE_AT.get(rule(name), "") in verdict.errors.splitlines()[0], verdict.errors


@pytest.mark.parametrize("name", ACCEPTED)
def test_what_libyang_misread_as_wrong_is_accepted(name):
    assert srl_yang.validate(MUST / name).ok
    raw = srl_yang.validate(MUST / name, deviations=False)
    assert not raw.ok and RULES[rule(name)] in raw.errors


def test_both_readings_of_every_document():
    """What libyang says of each document with Nokia's expressions as
    published and with fabricd's restatements (the evidence, as a golden)."""
    lines = []
    for name in REJECTED + ACCEPTED:
        lines.append(name)
        for label, deviations in (("  Nokia's expressions", False), ("  restated          ", True)):
            verdict = srl_yang.validate(MUST / name, deviations=deviations)
            said = "valid" if verdict.ok else _message(verdict.errors)
            lines.append(f"{label}: {said}")
    check_text(MUST / "verdicts.txt", "\n".join(lines) + "\n")


def _message(errors: str) -> str:
    first = errors.splitlines()[0].removeprefix("libyang err : ")
    return re.sub(r" \(Data location .*", "", first)


def test_without_the_restatements_libyang_refuses_every_mac_vrf():
    """R1 as published: the renderer's plainest document is refused."""
    doc = GOLDEN / "srlinux" / "one-vni" / "leaf1.json"
    raw = srl_yang.validate(doc, deviations=False)
    assert not raw.ok and RULES["R1"] in raw.errors
    assert srl_yang.validate(doc).ok


# ------------------------------------------------- restates, never deletes


def _blocks(text: str) -> list[str]:
    return [b for b in re.split(r"\n  deviation ", text)[1:]]


def _musts(block: str, kind: str) -> list[tuple[str, str]]:
    """(expression, error-message) of the musts of one ``deviate`` kind, as
    YANG reads the strings (a multi-line one loses its indentation)."""
    m = re.search(rf"deviate {kind} \{{(.*?)\n    \}}", block, re.S)
    assert m, f"no deviate {kind} in {block[:80]}"
    return [(expression, message or "") for expression, message in yang_text.musts(m.group(1))]


def test_the_module_restates_and_never_deletes():
    """Each deviation deletes Nokia's exact expressions and adds as many back,
    with the error-messages Nokia gives them; nothing else (no
    not-supported, replace or bare delete)."""
    root = srl_yang.models()
    text = srl_yang.DEVIATIONS.read_text()
    assert "not-supported" not in text and "deviate replace" not in text
    blocks = _blocks(text)
    nokia = yang_text.nokia_musts(root)
    restated = 0
    for block in blocks:
        assert block.count("deviate ") == 2, block[:80]
        deleted, added = _musts(block, "delete"), _musts(block, "add")
        assert len(deleted) == len(added), block[:80]
        originals: set[str] = set()
        for expression, _ in deleted:
            messages = nokia.get(expression)
            assert messages, f"{expression!r} is not one of Nokia's must expressions"
            originals |= messages
        assert {message for _, message in added} <= originals, block[:80]
        restated += len(added)
    assert restated == len(RULES)


# ------------------------------------------------- the drift watch's paths


def _schema_tree() -> dict[str, dict]:
    """Nokia's service schema as libyang prints it (``-f tree``): name ->
    {"rw": bool, "children": {...}}, module prefixes dropped."""
    cmd = srl_yang.command([])
    proc = subprocess.run([*cmd[: cmd.index("-t")], "-f", "tree"], capture_output=True, text=True, check=True)
    root: dict[str, dict] = {}
    stack: list[dict[str, dict]] = [root]
    in_augment = False
    for line in proc.stdout.splitlines():
        if line.startswith("module:"):
            in_augment = False
            continue
        if line.lstrip().startswith("augment "):
            in_augment = True  # the tree printed the augments in place already
            continue
        if in_augment or "+--" not in line:
            continue
        depth = (line.index("+--") - 2) // 3
        if re.search(r"\+--(?:rw |ro |:)\(", line):  # a choice or a case: its nodes are its parent's
            del stack[depth + 1 :]
            stack.append(stack[depth])
            continue
        m = re.search(r"\+--(rw|ro) (\S+)", line)
        if not m:
            continue
        name = m.group(2).split(":")[-1].rstrip("*?!")
        del stack[depth + 1 :]
        node = stack[depth].setdefault(name, {"rw": m.group(1) == "rw", "children": {}})
        stack.append(node["children"])
    return root


def _all_rw(node: dict) -> bool:
    return node["rw"] and all(_all_rw(c) for c in node["children"].values())


def test_the_drift_watch_subscribes_to_configuration_only():
    """Every path the SR Linux profile reads and watches is a configuration
    node of Nokia's models with no state below it (no counters, oper-state,
    MAC tables: on a real switch they would stream all the time)."""
    tree = _schema_tree()
    assert "interface" in tree and "network-instance" in tree
    for text in SRLINUX.drift_paths:
        level, node = tree, None
        for elem in parse(text).elems:
            assert elem.name in level, f"{text}: {elem.name} is not in Nokia's schema"
            node = level[elem.name]
            level = node["children"]
        assert node is not None and _all_rw(node), f"{text} holds state"

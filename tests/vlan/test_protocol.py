"""The tagger's control protocol: request parsing with its errors (golden),
answers, and the client's reading of them. No root needed: nothing here
opens a device."""

from __future__ import annotations

import asyncio
import json

import pytest

from cni.vlan import protocol
from cni.vlan.errors import VlanError, VlanInvalid, VlanUnsupported
from cni.vlan.protocol import Ensure, ProtocolError, Query, Release, encode_request, parse_request, parse_response
from cni.vlan.tagger.forward import Tagger
from cni.vlan.tagger.server import answer
from tests.golden_util import GOLDEN, check_text

BAD_REQUESTS = [
    b"",
    b"not json",
    b"[1, 2]",
    b'{"parent": "eth1", "vlan": 10}',
    b'{"op": "delete", "parent": "eth1", "vlan": 10}',
    b'{"op": "ensure", "vlan": 10}',
    b'{"op": "ensure", "parent": "eth1"}',
    b'{"op": "ensure", "parent": "eth1", "vlan": 0}',
    b'{"op": "ensure", "parent": "eth1", "vlan": 4095}',
    b'{"op": "ensure", "parent": "eth1", "vlan": "10"}',
    b'{"op": "ensure", "parent": "eth1", "vlan": true}',
    b'{"op": "ensure", "parent": "eth/1", "vlan": 5000}',
    b'{"op": "ensure", "parent": "a-very-long-parent", "vlan": 10}',
    b'{"op": "ensure", "parent": "eth1", "vlan": 10, "name": "x y"}',
    b'{"op": "ensure", "parent": "eth1", "vlan": 10, "netns": "4026531840"}',
    b'{"op": "ensure", "parent": "eth1", "vlan": 10, "colour": "red"}',
    b'{"op": "release", "parent": "eth1", "vlan": 10, "name": "eth1v10"}',
    b'{"op": "ping", "parent": "eth1"}',
]


def test_request_errors_name_the_field_and_value():
    lines = []
    for raw in BAD_REQUESTS:
        with pytest.raises(ProtocolError) as e:
            parse_request(raw)
        assert e.value.code == "invalid"
        lines.append(f"{raw.decode()!s:70} -> {e.value}")
    check_text(GOLDEN / "vlan" / "protocol_errors.txt", "\n".join(lines) + "\n")


def test_requests_parse():
    assert parse_request(b'{"op":"ensure","parent":"eth1","vlan":10}\n') == Ensure(parent="eth1", vlan=10, name=None)
    assert parse_request(encode_request("ensure", parent="eth1", vlan=10, name="blue", netns=7)) == Ensure(
        parent="eth1", vlan=10, name="blue", netns=7
    )
    assert parse_request(encode_request("release", parent="eth1", vlan=4094)) == Release(parent="eth1", vlan=4094)
    for op in ("list", "stats", "ping"):
        assert parse_request(encode_request(op)) == Query(op=op)


def test_a_request_longer_than_the_limit_is_refused():
    with pytest.raises(ProtocolError, match="longer than"):
        parse_request(b'{"op":"ping","x":"' + b"x" * (1 << 20) + b'"}')


def test_answers_are_one_json_line():
    line = protocol.ok(ifname="eth1v10", created=True)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert json.loads(line) == {"ok": True, "ifname": "eth1v10", "created": True}
    assert json.loads(protocol.error("nope", "unsupported")) == {"ok": False, "code": "unsupported", "error": "nope"}


@pytest.fixture
def tagger():
    loop = asyncio.new_event_loop()
    t = Tagger(loop, netns=4026531840)
    yield t
    t.close()
    loop.close()


def ask(tagger, **req):
    return json.loads(answer(tagger, encode_request(**req)))


def test_the_dispatcher_answers_queries_without_touching_devices(tagger):
    assert ask(tagger, op="list") == {"ok": True, "vlans": []}
    assert ask(tagger, op="stats") == {"ok": True, "parents": {}}
    pong = ask(tagger, op="ping")
    assert pong["ok"] and pong["netns"] == 4026531840 and pong["version"] == 1 and pong["vlans"] == 0
    assert ask(tagger, op="release", parent="eth1", vlan=10) == {"ok": True, "released": False}


def test_the_dispatcher_refuses_a_request_from_another_namespace(tagger):
    got = ask(tagger, op="ensure", parent="eth1", vlan=10, netns=1)
    assert got == {
        "ok": False,
        "code": "invalid",
        "error": "VLAN 10 of eth1: this tagger serves network namespace net:[4026531840], the request comes "
        "from net:[1]: talk to the tagger of your own namespace",
    }
    assert ask(tagger, op="release", parent="eth1", vlan=10, netns=1)["ok"] is False


def test_the_dispatcher_answers_a_bad_request_with_an_error(tagger):
    got = json.loads(answer(tagger, b"{"))
    assert got["ok"] is False and got["code"] == "invalid" and got["error"].startswith("not JSON")


def test_the_client_reads_answers():
    assert parse_response(b'{"ok":true,"ifname":"eth1v10"}')["ifname"] == "eth1v10"


@pytest.mark.parametrize(
    ("code", "cls"), [("invalid", VlanInvalid), ("unsupported", VlanUnsupported), ("failed", VlanError)]
)
def test_the_client_maps_error_codes_to_the_error_tree(code, cls):
    line = protocol.error("VLAN 10 of eth1: eth1: no such interface in the tagger's network namespace", code)
    with pytest.raises(VlanError) as e:
        parse_response(line, parent="eth1", vlan=10)
    assert type(e.value) is cls
    # the tagger's "VLAN 10 of eth1" is not said twice
    assert str(e.value) == "VLAN 10 of eth1: tagger: eth1: no such interface in the tagger's network namespace"
    assert (e.value.parent, e.value.vlan) == ("eth1", 10)


@pytest.mark.parametrize("line", [b"", b"garbage", b"[]", b'{"ifname": "x"}', b'{"ok": "yes"}'])
def test_the_client_rejects_what_is_not_an_answer(line):
    with pytest.raises(VlanError, match="not a response") as e:
        parse_response(line, parent="eth1", vlan=10)
    assert type(e.value) is VlanError

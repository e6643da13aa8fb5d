"""The logs of a whole fabricd run: one JSON object per line, bound to the
switch and the request; no password and no private key material, ever.

fabricd runs as the real console script with a settings file: mutual TLS on
its API (its own key), the seed lab's switches as emulators over TLS with
the lab's password and fabricd's client certificate (a second key), debug
level. It serves attaches, detaches and refused requests (each carrying a
password in a bad field), reloads on SIGHUP and stops. The switches'
passwords are the kind that fooled a search of the serialised line: one with
a double quote, a backslash and non-ASCII letters (escaped differently in JSON
and text), and a short one."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import signal
from pathlib import Path

import grpc
import pytest
import yaml

from labs.run.certs import create_ca, issue_client_cert, issue_server_cert, write_pair
from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc
from tests.controller.fabric import FAST, attach_req, eventually, lab_fabric
from tests.ctl.run import ctl
from tests.observability.daemon import base_settings, running

pytestmark = pytest.mark.slow


def key_lines(pem: bytes) -> list[str]:
    return [x for x in pem.decode().splitlines() if x and not x.startswith("-----")]


def api_pki(d: Path) -> dict[str, Path]:
    d.mkdir()
    ca = create_ca("fabricd API CA")
    files = {"ca": write_pair(d, "ca", ca)[0]}
    files["cert"], files["key"] = write_pair(d, "server", issue_server_cert(ca, "fabricd"))
    for name, role in (("fabricctl", "operator"), ("server1", "node")):
        write_pair(d, name, issue_client_cert(ca, name, role=role))
    return files


def client_tls(pki: Path, name: str) -> tuple[str, ...]:
    return ("--ca", str(pki / "ca.crt"), "--cert", str(pki / f"{name}.crt"), "--key", str(pki / f"{name}.key"))


def creds(pki: Path, name: str) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(
        (pki / "ca.crt").read_bytes(), (pki / f"{name}.key").read_bytes(), (pki / f"{name}.crt").read_bytes()
    )


#: per switch: passwords JSON and text logs escape, and a short one (switch
#: passwords are printable ASCII: gRPC metadata carries nothing else)
PASSWORDS = {"sw1": 'p"a\\ss w0rd~', "sw2": "Z9!", "spine1": 'sp"ine\\1'}
#: secrets of other kinds (keys, tokens) may hold any character
OTHER_SECRETS = ("wörd-ñ-ü", 'tö\\k"en')


def tricky_passwords(specs, material):
    del material
    return [
        dataclasses.replace(s, credentials=dataclasses.replace(s.credentials, password=PASSWORDS[s.name]))
        for s in specs
    ]


async def test_json_logs_are_bound_and_never_hold_secrets(short_tmp):
    async with lab_fabric(short_tmp, specs_hook=tricky_passwords) as fab:
        # fabricd presents its client certificate to the switches: a second private key it loads
        inventory = yaml.safe_load((short_tmp / "inventory.yml").read_text())
        for name, entry in inventory["switches"].items():
            entry["tls"]["client_cert_file"] = str(fab.material.client_cert_file)
            entry["tls"]["client_key_file"] = str(fab.material.client_key_file)
            (short_tmp / f"{name}.password").write_text(PASSWORDS[name])
            entry["credentials"]["password_file"] = str(short_tmp / f"{name}.password")
        (short_tmp / "inventory.yml").write_text(yaml.safe_dump(inventory))
        pki = short_tmp / "api-pki"
        files = api_pki(pki)
        settings = base_settings(
            short_tmp,
            api={
                "insecure": False,
                "listen": ["127.0.0.1:0", f"unix://{short_tmp}/api.sock"],
                "tls": {"cert": str(files["cert"]), "key": str(files["key"]), "client_ca": str(files["ca"])},
                "operators": ["fabricctl"],
            },
            inventory=str(short_tmp / "inventory.yml"),
            port_map=str(short_tmp / "portmap.yml"),
            topology={"mode": "merged"},
            **FAST,
        )
        async with running(short_tmp, settings) as d:
            tcp = next(line for line in d.lines() if line["event"] == "api.listening")["addresses"].split(",")[0]
            op, node = client_tls(pki, "fabricctl"), client_tls(pki, "server1")
            assert (await ctl(tcp, "network", "create", "blue", "--vni", "1111", tls=op)).code == 0
            # refused requests, each carrying a password in a field
            for i, password in enumerate(PASSWORDS.values()):
                r = await ctl(tcp, "network", "create", password, "--vni", str(2222 + i), tls=op)
                assert r.code == 1 and "DNS-1123" in r.err
            assert (await ctl(tcp, "network", "get", "nope", tls=op)).code == 4
            assert (await ctl(tcp, "switch", "list", tls=node)).code == 5
            async with grpc.aio.secure_channel(tcp, creds(pki, "server1")) as ch:
                stub = fabric_pb2_grpc.FabricStub(ch)
                att = await stub.Attach(attach_req(), timeout=30)
                assert att.state == fabric_pb2.ATTACHMENT_STATE_READY
                with pytest.raises(grpc.aio.AioRpcError) as err:
                    await stub.Attach(attach_req("pod-x", node="server2"), timeout=30)
                assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
                assert (await stub.Detach(fabric_pb2.DetachRequest(id=att.id, container_id="c1"), timeout=10)).removed
            for args in (("switch", "list"), ("plan",), ("topology",), ("attachment", "list")):
                assert (await ctl(tcp, *args, tls=op)).code == 0
            d.proc.send_signal(signal.SIGHUP)
            await eventually(lambda: "inventory.reloaded" in d.text(), what="reloaded")
            await asyncio.sleep(0)

    keys = [Path(p).read_bytes() for p in (files["key"], fab.material.client_key_file)]  # noqa: ASYNC240
    lines = d.lines()  # every line is one JSON object
    assert all({"ts", "level", "event"} <= set(line) for line in lines)
    text = d.text()

    # no secret, in any form: raw, or escaped as JSON writes it
    for password in PASSWORDS.values():
        assert password not in text
        assert json.dumps(password)[1:-1] not in text
        assert not any(password in json.dumps(x, ensure_ascii=False) for x in lines)
    assert "PRIVATE KEY" not in text
    for key in keys:
        for part in key_lines(key):
            assert part not in text, "a line of a private key is in the log"
    refused = [x for x in lines if x["event"] == "request.refused" and "DNS-1123" in x.get("error", "")]
    assert len(refused) == len(PASSWORDS)
    assert all("***" in x["error"] and x["network"] == "default/***" for x in refused), [
        (x["error"], x["network"]) for x in refused
    ]

    # bound to the switch ...
    workers = [x for x in lines if x.get("component") == "reconciler"]
    assert workers and all(x["switch"] in ("sw1", "sw2") for x in workers)
    assert {x["switch"] for x in lines if x["event"] == "session.up"} == {"sw1", "sw2"}
    assert {x["switch"] for x in lines if x["event"] == "set.applied"} >= {"sw1"}
    # ... and to the request: every line of one request carries its id
    [denied] = [x for x in lines if x["event"] == "authz.denied" and x["method"] == "Attach"]
    [answer] = [x for x in lines if x["event"] == "request.refused" and x.get("request") == denied["request"]]
    assert answer["code"] == "PERMISSION_DENIED" and answer["caller"] == "server1" and answer["method"] == "Attach"
    done = [x for x in lines if x["event"] == "request.done" and x["method"] in ("Attach", "Detach")]
    assert [x["method"] for x in done] == ["Attach", "Detach"]
    assert all(x["caller"] == "server1" and len(x["request"]) == 8 for x in done)
    assert len({x["request"] for x in lines if "request" in x}) >= 8


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_secrets_are_redacted_before_a_line_is_serialised(fmt):
    """In the message, every field value and a traceback, whatever quoting
    or escaping the format applies; a short secret where it stands as a word."""
    import io
    import logging

    from controller.log import configure, get_logger, register_secret

    secrets = [*PASSWORDS.values(), *OTHER_SECRETS]
    for secret in secrets:
        register_secret(secret)
    out = io.StringIO()
    configure("debug", fmt, stream=out)
    try:
        log = get_logger("test")
        for secret in secrets:
            log.info("request.refused", error=f"network.name: {secret!r} is not a DNS-1123 label", network=secret)
            log.warning(f"login {secret} failed", detail={"password_hint": secret})
            try:
                raise ValueError(f"bad password {secret}")
            except ValueError:
                log.exception("worker.crashed")
        log.info("request.done", note="Z9!a is a different word", long="z" * 5000)
    finally:
        logging.getLogger().handlers.clear()
    text = out.getvalue()
    for secret in secrets:
        for form in (secret, json.dumps(secret)[1:-1], repr(secret)[1:-1]):
            assert not re.search(rf"(?<!\w){re.escape(form)}(?!\w)", text), f"{form!r} is in the log"
            if len(secret) >= 4:
                assert form not in text
    assert "Z9!a is a different word" in text  # a short secret is redacted as a word, not inside others
    assert "(5000 characters)" in text and "z" * 1100 not in text  # long values are cut

"""fabric-cni as a runtime runs it (the console script, a real process):
VERSION, the spec's error codes for bad input, and never a traceback."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cni.plugin import errors

FABRIC_CNI = str(Path(sys.executable).parent / "fabric-cni")

CONF = {
    "cniVersion": "1.1.0",
    "name": "blue",
    "type": "fabric-cni",
    "network": "default/blue",
    "uplink": "eth1",
    "ipam": {"type": "static"},
    "runtimeConfig": {"ips": ["10.11.0.1/24"]},
}
NODE = {"controller": "unix:///nonexistent/fabricd.sock", "node": "server1"}
ENV = {
    "CNI_COMMAND": "ADD",
    "CNI_CONTAINERID": "c1",
    "CNI_NETNS": "/run/netns/nope",
    "CNI_IFNAME": "net1",
    "CNI_PATH": "/usr/lib/cni",
    "CNI_ARGS": "K8S_POD_NAMESPACE=default;K8S_POD_NAME=p;K8S_POD_UID=u1",
}


def run(
    env: dict[str, str], stdin: bytes | str = b"", tmp: Path | None = None, node: dict | None = None
) -> subprocess.CompletedProcess[str]:
    """fabric-cni with ``env``; with ``tmp`` as the state directory ($FABRIC_CNI_STATE_DIR) and a node
    file ``node`` (default NODE) beside it."""
    full = {k: v for k, v in os.environ.items() if not k.startswith(("CNI_", "FABRIC_CNI_"))}
    if tmp is not None:
        full["FABRIC_CNI_STATE_DIR"] = str(tmp)
        node_file = tmp.parent / f"{tmp.name}-node.json"
        node_file.write_text(json.dumps(NODE if node is None else node))
        full["FABRIC_CNI_NODE_CONFIG"] = str(node_file)
    full.update(env)
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run([FABRIC_CNI], input=data, env=full, capture_output=True, timeout=60, check=False)  # type: ignore[call-overload]


def error_of(p: subprocess.CompletedProcess, code: int) -> dict:
    assert p.returncode != 0, p.stdout
    assert b"Traceback" not in p.stderr and b"Traceback" not in p.stdout
    doc = json.loads(p.stdout)
    assert doc["code"] == code, doc
    assert doc["cniVersion"] and doc["msg"]
    return doc


def test_version():
    p = run({"CNI_COMMAND": "VERSION"})
    assert p.returncode == 0
    assert json.loads(p.stdout) == {
        "cniVersion": "1.1.0",
        "supportedVersions": ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"],
    }


def test_1_incompatible_version(tmp_path):
    doc = error_of(run(ENV, json.dumps({**CONF, "cniVersion": "0.5.0"}), tmp_path), errors.INCOMPATIBLE_VERSION)
    assert "0.5.0" in doc["msg"] and "0.1.0, 0.2.0, 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0" in doc["msg"]


def test_1_check_of_a_031_config_as_the_reference_plugins_answer(tmp_path):
    doc = error_of(
        run({**ENV, "CNI_COMMAND": "CHECK"}, json.dumps({**CONF, "cniVersion": "0.3.1"}), tmp_path),
        errors.INCOMPATIBLE_VERSION,
    )
    assert doc["msg"].startswith("config version does not allow CHECK") and doc["cniVersion"] == "0.3.1"


def test_7_a_nad_naming_the_controller_is_refused_and_makes_nothing(tmp_path):
    """Item 2: the plugin (root) never goes where a NAD says, nor creates a directory there."""
    evil = tmp_path / "evil"
    conf = {**CONF, "controller": "unix:///tmp/evil.sock", "stateDir": str(evil), "node": "server2"}
    doc = error_of(run(ENV, json.dumps(conf), tmp_path / "state"), errors.INVALID_CONFIG)
    assert doc["msg"].startswith("invalid network configuration: controller, node, stateDir: the node's settings")
    assert "node file (/etc/fabric-cni/node.json, or $FABRIC_CNI_NODE_CONFIG)" in doc["msg"]
    assert not evil.exists() and not (tmp_path / "state").exists()


def test_7_a_bad_node_file_is_named(tmp_path):
    doc = error_of(run(ENV, json.dumps(CONF), tmp_path / "state", node={"contoller": "x"}), errors.INVALID_CONFIG)
    assert doc["msg"].startswith(f"node configuration {tmp_path / 'state-node.json'}: contoller: is not a setting")
    assert "did you mean 'controller'?" in doc["msg"] and doc["cniVersion"] == "1.1.0"


def test_4_invalid_environment_names_the_variables(tmp_path):
    env = {**ENV, "CNI_IFNAME": "", "CNI_ARGS": "K8S_POD_NAME=p"}
    doc = error_of(run(env, json.dumps(CONF), tmp_path), errors.INVALID_ENV)
    assert "CNI_IFNAME is not set" in doc["msg"] and "K8S_POD_NAMESPACE" in doc["msg"]
    p = run({}, b"")
    assert error_of(p, errors.INVALID_ENV)["msg"].startswith("CNI_COMMAND is not set")
    assert b"run by a container runtime or Multus" in p.stderr  # the usage, for a person at a shell


def test_6_undecodable_stdin(tmp_path):
    doc = error_of(run(ENV, b'{"cniVersion": "1.1.0",', tmp_path), errors.DECODE)
    assert "not JSON" in doc["msg"] and "line 1" in doc["msg"]


def test_7_invalid_config_names_the_field(tmp_path):
    doc = error_of(run(ENV, json.dumps({**CONF, "uplink": "eth1.10.x/y"}), tmp_path), errors.INVALID_CONFIG)
    assert doc["msg"].startswith("invalid network configuration: uplink:")


def test_5_a_state_directory_that_cannot_be_used(tmp_path):
    (tmp_path / "file").write_text("")
    doc = error_of(run(ENV, json.dumps(CONF), tmp_path / "file"), errors.IO_FAILURE)
    assert "cannot create the state directory" in doc["msg"] and str(tmp_path / "file") in doc["msg"]


def test_an_error_answers_in_the_config_version(tmp_path):
    # the node's controller does not exist: try again later, said in 0.3.1
    doc = error_of(run(ENV, json.dumps({**CONF, "cniVersion": "0.3.1"}), tmp_path), errors.TRY_AGAIN)
    assert doc["cniVersion"] == "0.3.1" and "/nonexistent/fabricd.sock" in doc["msg"]
    doc = error_of(run({**ENV, "CNI_COMMAND": "STATUS"}, json.dumps(CONF), tmp_path), errors.NOT_AVAILABLE)
    assert doc["cniVersion"] == "1.1.0" and "/nonexistent/fabricd.sock" in doc["msg"]


def test_100_internal_error_is_a_cni_error_not_a_traceback(tmp_path):
    """^C while the plugin reads stdin: the boundary still answers a CNI error."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("CNI_")} | ENV
    proc = subprocess.Popen(
        [FABRIC_CNI], env=full, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        time.sleep(0.5)  # it is blocked reading stdin (no condition to wait on from outside)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1 and b"Traceback" not in err
    doc = json.loads(out)
    assert doc["code"] == errors.INTERNAL and "interrupted" in doc["msg"] and "report it" in doc["msg"]


GARBAGE = [
    b"\x00\x01\x02",
    b"\xff" * 64,
    b"[]",
    b"{}",
    b'{"cniVersion": "1.1.0"}',
    b'{"cniVersion": "1.1.0", "name": 7, "type": [], "network": {}, "uplink": null}',
    b'{"cniVersion": "1.1.0", "name": "n", "type": "t", "network": "a/b", "uplink": "eth1", "ipam": 3}',
    b'{"cniVersion": "1.1.0", "name": "n", "type": "t", "network": "a/b", "uplink": "eth1", "prevResult": '
    b'{"ips": "x", "interfaces": 5}}',
    b'{"cniVersion": "1.1.0", "name": "n", "type": "t", "network": "a/b", "uplink": "eth1", "args": {"cni": 1}}',
    b"1e999999",
    b'"' + b"\\" * 1000 + b'"',
    b"[" * 100000,
]


@pytest.mark.parametrize("command", ["ADD", "DEL", "CHECK", "GC", "STATUS"])
def test_garbage_never_gives_a_traceback(tmp_path, command):
    rng = random.Random(f"fabric-cni-{command}")
    inputs = [*GARBAGE, *(rng.randbytes(rng.randrange(1, 300)) for _ in range(4))]
    for data in inputs:
        env = {**ENV, "CNI_COMMAND": command}
        if rng.random() < 0.3:
            env["CNI_ARGS"] = rng.choice(["x", ";;=;", "K8S_POD_NAME", "\x7f=x"])
        p = run(env, data, tmp_path)
        assert p.returncode != 0, (data, p.stdout)
        assert b"Traceback" not in p.stderr, (data, p.stderr)
        doc = json.loads(p.stdout)
        assert doc["code"] in (errors.INVALID_ENV, errors.DECODE, errors.INVALID_CONFIG, errors.INCOMPATIBLE_VERSION)
        assert doc["msg"] and len(p.stdout.splitlines()) == 1

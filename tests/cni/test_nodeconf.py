"""The node's own settings (items 2 and 21): the node-local JSON file named by
$FABRIC_CNI_NODE_CONFIG (default /etc/fabric-cni/node.json), validated
strictly, then the environment, then defaults; the node name from the file,
then $NODENAME, then $K8S_NODE_NAME, then the host name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cni.plugin import errors, nodeconf
from cni.plugin.errors import CniError
from tests.golden_util import GOLDEN, check_text

FULL = {
    "controller": "fabricd.example:50051",
    "tls": {"ca": "/etc/fabric-cni/ca.crt", "cert": "/etc/fabric-cni/node.crt", "key": "/etc/fabric-cni/node.key",
            "serverName": "fabricd"},
    "node": "server1",
    "stateDir": "/var/lib/fabric-cni",
    "vlanBackend": {"mode": "tagger", "taggerSocket": "/run/fabric-cni/tagger.sock"},
    "uplink": "eth1",
    "attachTimeout": 20,
}  # fmt: skip


def parse(doc: dict, environ: dict | None = None, hostname: str = "host-a") -> nodeconf.NodeConf:
    return nodeconf.parse(doc, file="/etc/fabric-cni/node.json", environ=environ or {}, hostname=hostname)


def refused(doc: dict, environ: dict | None = None, hostname: str = "host-a") -> CniError:
    with pytest.raises(CniError) as err:
        parse(doc, environ, hostname)
    return err.value


def test_a_full_node_file():
    nc = parse(FULL)
    assert (nc.controller, nc.grpc_target, nc.node, nc.node_source) == (
        "fabricd.example:50051",
        "fabricd.example:50051",
        "server1",
        "node",
    )
    assert nc.tls == nodeconf.Tls(
        ca="/etc/fabric-cni/ca.crt", cert="/etc/fabric-cni/node.crt", key="/etc/fabric-cni/node.key",
        server_name="fabricd",
    )  # fmt: skip
    assert (nc.state_dir, nc.vlan_mode, nc.tagger_socket) == (
        "/var/lib/fabric-cni",
        "tagger",
        "/run/fabric-cni/tagger.sock",
    )
    assert (nc.uplink, nc.attach_timeout) == ("eth1", 20.0)


def test_defaults_without_a_file():
    nc = nodeconf.parse({}, file="", environ={}, hostname="Server1")
    assert nc.controller == "unix:///run/fabricd/api.sock" and nc.tls is None
    assert (nc.node, nc.node_source) == ("server1", "the host name")  # lower case, as kubelet names its node
    assert (nc.state_dir, nc.vlan_mode, nc.tagger_socket, nc.uplink) == ("/run/fabric-cni", "auto", None, None)
    assert nc.attach_timeout == nodeconf.DEFAULT_ATTACH_TIMEOUT


def test_node_name_order_file_then_nodename_then_k8s_node_name_then_host_name():
    """Item 21: kubelet's --hostname-override and cloud node names differ from uname."""
    env = {"NODENAME": "ip-10-0-0-1.ec2.internal", "K8S_NODE_NAME": "worker-7"}
    assert (parse({"node": "server1"}, env).node, parse({"node": "server1"}, env).node_source) == ("server1", "node")
    assert parse({}, env).node == "ip-10-0-0-1.ec2.internal" and parse({}, env).node_source == "$NODENAME"
    assert parse({}, {"K8S_NODE_NAME": "worker-7"}).node == "worker-7"
    assert parse({}, {"K8S_NODE_NAME": "worker-7"}).node_source == "$K8S_NODE_NAME"
    assert parse({}, {"NODENAME": ""}, hostname="Host-A").node == "host-a"
    e = refused({}, {"NODENAME": "Worker_7"})
    assert "$NODENAME: 'Worker_7' is not a Kubernetes node name" in e.msg
    e = refused({}, hostname="my_host")
    assert "host name 'my_host' is not a Kubernetes node name (DNS-1123 subdomain): set \"node\"" in e.msg


def test_the_environment_is_the_fallback_for_state_dir_tagger_and_backend():
    env = {
        "FABRIC_CNI_STATE_DIR": "/run/lab/cni",
        "FABRIC_CNI_TAGGER_SOCKET": "/run/lab/n/server1/vlan.sock",
        "FABRIC_CNI_VLAN_BACKEND": "tagger",
    }
    nc = parse({}, env)
    assert (nc.state_dir, nc.tagger_socket, nc.vlan_mode) == ("/run/lab/cni", "/run/lab/n/server1/vlan.sock", "tagger")
    nc = parse({"stateDir": "/var/lib/x", "vlanBackend": {"mode": "kernel", "taggerSocket": "/t.sock"}}, env)
    assert (nc.state_dir, nc.tagger_socket, nc.vlan_mode) == ("/var/lib/x", "/t.sock", "kernel")  # the file wins
    e = refused({}, {"FABRIC_CNI_STATE_DIR": "relative", "FABRIC_CNI_VLAN_BACKEND": "vlan"})
    assert "$FABRIC_CNI_STATE_DIR: 'relative' is not an absolute path" in e.msg
    assert "$FABRIC_CNI_VLAN_BACKEND: 'vlan' is not one of auto, kernel, tagger" in e.msg


BAD_FILES = [
    {"contoller": "unix:///s.sock", "stateDir": "run", "attachTimeout": 0},
    {"network": "default/blue", "ipam": {"type": "static"}, "VNI": 1111},
    {"tls": {"ca": "ca.pem", "cert": "/c.pem", "certificate": "/x"}, "controller": "localhost", "node": "Server_1"},
    {"vlanBackend": {"mode": "vlan", "taggerSocket": "t.sock", "socket": "/x"}, "uplink": "eth 1"},
    {"controller": "unix://relative.sock", "tls": "yes", "vlanBackend": [], "node": "server1\n"},
]


def test_bad_node_files_name_the_file_and_every_problem():
    lines = []
    for doc in BAD_FILES:
        e = refused(doc)
        assert e.code == errors.INVALID_CONFIG and e.msg.startswith("node configuration /etc/fabric-cni/node.json: ")
        lines.append(f"{json.dumps(doc, sort_keys=True)}\n  -> {e.msg}\n")
    check_text(GOLDEN / "cni" / "node_file_errors.txt", "".join(lines))


def test_reading_the_file(tmp_path: Path):
    f = tmp_path / "node.json"
    env = {nodeconf.ENV_NODE_CONFIG: str(f)}
    with pytest.raises(CniError) as err:
        nodeconf.read(env)  # named but missing: the installer did not run
    assert err.value.code == errors.IO_FAILURE and f"node configuration {f} ($FABRIC_CNI_NODE_CONFIG)" in err.value.msg
    f.write_text(json.dumps(FULL))
    assert nodeconf.read(env) == (str(f), FULL)
    for text, why in (("{", "not JSON: Expecting property name"), ("[]", "a JSON list, not an object")):
        f.write_text(text)
        with pytest.raises(CniError) as err:
            nodeconf.read(env)
        assert err.value.code == errors.INVALID_CONFIG and why in err.value.msg and str(f) in err.value.msg
    with pytest.raises(CniError) as err:
        nodeconf.read({nodeconf.ENV_NODE_CONFIG: "node.json"})
    assert "not an absolute path" in err.value.msg

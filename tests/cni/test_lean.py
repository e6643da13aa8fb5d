"""The plugin starts lean: grpc loads only when a command talks to fabricd,
never for VERSION or a refused config (the number itself: bench cni), and
pydantic (fabricd's settings) never."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import io, json, os, sys
sys.stdin = io.TextIOWrapper(io.BytesIO(sys.argv[1].encode()))
from cni.plugin.main import main
code = main([])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


ADD = {
    "CNI_COMMAND": "ADD",
    "CNI_CONTAINERID": "c1",
    "CNI_NETNS": "/run/netns/x",
    "CNI_IFNAME": "net1",
    "CNI_PATH": "/usr/lib/cni",
    "CNI_ARGS": "K8S_POD_NAMESPACE=a;K8S_POD_NAME=b;K8S_POD_UID=c",
}


def loaded(env: dict[str, str], stdin: str) -> set[str]:
    env = {"PATH": "/usr/bin:/bin", **env}
    p = subprocess.run([sys.executable, "-c", PROBE, stdin], env=env, capture_output=True, text=True, check=False)
    return set(json.loads(p.stderr.strip().splitlines()[-1])["modules"])


def test_version_loads_no_grpc_nor_protobuf():
    mods = loaded({"CNI_COMMAND": "VERSION"}, "")
    assert "cni.plugin.main" in mods
    heavy = ("grpc", "google", "asyncio", "subprocess", "yaml", "pydantic", "models", "labs")
    assert not {m for m in mods if m.split(".")[0] in heavy or "_pb2" in m}  # the API's address constant only


def test_a_refused_config_loads_no_grpc():
    mods = loaded(ADD, '{"cniVersion": "1.1.0", "name": "blue"}')
    assert "cni.plugin.config" in mods
    assert not {
        m for m in mods if m.split(".")[0] in ("grpc", "google", "asyncio", "pydantic", "models") or "_pb2" in m
    }


def test_reading_the_node_file_loads_no_yaml_nor_grpc(tmp_path):
    """The node file is JSON so that the plugin stays lean (item 2)."""
    node = tmp_path / "node.json"
    node.write_text('{"controller": "unix:///nonexistent.sock", "contoller": "x"}')
    env = {**ADD, "FABRIC_CNI_NODE_CONFIG": str(node)}
    conf = '{"cniVersion": "0.3.1", "name": "blue", "type": "fabric-cni", "VNI": "1111", "ipam": {"type": "dhcp"}}'
    mods = loaded(env, conf)
    assert "cni.plugin.nodeconf" in mods
    heavy = ("grpc", "google", "asyncio", "yaml", "pydantic", "models", "controller", "labs")
    assert not {m for m in mods if m.split(".")[0] in heavy or "_pb2" in m}

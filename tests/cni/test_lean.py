"""The plugin starts lean: its gRPC client (cni.wire, ssl) loads only when a
command talks to fabricd, never for VERSION or a refused config; grpcio,
protobuf and the generated stubs never, not even for a call to fabricd (the
numbers: bench cni); nor pydantic (fabricd's settings)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import ForwardRef

ROOT = Path(__file__).resolve().parents[2]

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


def _absent_fabricd(tmp_path: Path) -> dict[str, str]:
    """The environment of an ADD whose fabricd is absent (code 11 after the node's attachTimeout)."""
    node = tmp_path / "node.json"
    node.write_text(
        json.dumps({"controller": f"unix://{tmp_path}/none.sock", "stateDir": str(tmp_path / "state"),
                    "node": "n1", "uplink": "eth1", "attachTimeout": 1})
    )  # fmt: skip
    return {"PATH": "/usr/bin:/bin", **ADD, "FABRIC_CNI_NODE_CONFIG": str(node)}


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


def test_a_call_to_fabricd_loads_no_grpcio_nor_protobuf(tmp_path):
    """ADD up to its Attach (fabricd absent here: code 11 after the node's attachTimeout)."""
    env = _absent_fabricd(tmp_path)
    conf = '{"cniVersion": "1.1.0", "name": "blue", "type": "fabric-cni", "network": "default/blue"}'
    p = subprocess.run([sys.executable, "-c", PROBE, conf], env=env, capture_output=True, text=True, check=False)
    doc = json.loads(p.stderr.strip().splitlines()[-1])
    assert json.loads(p.stdout)["code"] == 11 and "failed to connect" in json.loads(p.stdout)["msg"]
    mods = set(doc["modules"])
    assert {"cni.wire.rpc", "cni.plugin.controller"} <= mods  # it did go as far as calling fabricd
    heavy = ("grpc", "grpc_health", "google", "asyncio", "yaml", "pydantic", "models", "controller", "labs")
    assert not {m for m in mods if m.split(".")[0] in heavy or "_pb2" in m}


def test_a_call_to_fabricd_loads_no_dataclasses_nor_pathlib(tmp_path):
    """The plugin's records are NamedTuples and its paths strings: ``dataclasses`` (with ``inspect``,
    ``ast``, ``dis``) and ``pathlib`` (with ``urllib.parse``, ``ipaddress``) cost ~30 ms of every start.
    Without ``site`` (a venv's editable-install finder loads pathlib itself; the bundle has no site)."""
    env = {**_absent_fabricd(tmp_path), "PYTHONPATH": str(ROOT)}
    conf = '{"cniVersion": "1.1.0", "name": "blue", "type": "fabric-cni", "network": "default/blue"}'
    p = subprocess.run([sys.executable, "-S", "-c", PROBE, conf], env=env, capture_output=True, text=True, check=False)
    mods = set(json.loads(p.stderr.strip().splitlines()[-1])["modules"])
    assert json.loads(p.stdout)["code"] == 11
    assert {"cni.wire.rpc", "cni.plugin.controller", "cni.plugin.records"} <= mods
    assert not {m for m in mods if m.split(".")[0] in ("dataclasses", "inspect", "pathlib", "ast", "ipaddress")}


def test_the_plugins_records_carry_evaluated_annotations():
    """typing.NamedTuple compiles a string annotation (``from __future__ import annotations``) into a
    ForwardRef when the class is made, ~0.2 ms a field at every plugin start: the modules defining
    them evaluate their annotations."""
    import cni.plugin.api
    import cni.plugin.config
    import cni.plugin.controller
    import cni.plugin.nodeconf
    import cni.plugin.records
    import cni.vlan.protocol

    modules = (cni.plugin.api, cni.plugin.config, cni.plugin.controller, cni.plugin.nodeconf, cni.plugin.records,
               cni.vlan.protocol)  # fmt: skip
    records = [
        c for m in modules for c in vars(m).values() if isinstance(c, type) and issubclass(c, tuple) and c is not tuple
        and hasattr(c, "_fields") and c.__module__ == m.__name__
    ]  # fmt: skip
    assert len(records) >= 12
    lazy = {
        f"{c.__name__}.{k}" for c in records for k, v in c.__annotations__.items() if isinstance(v, str | ForwardRef)
    }
    assert not lazy

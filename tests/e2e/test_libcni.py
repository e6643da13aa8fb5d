"""fabric-cni driven by libcni (the library containerd and CRI-O use, through
its reference command cnitool, built by `make tools`) in the Linux seed
lab, whose fabricd runs with mutual TLS and a certificate per node.

cnitool runs in server1 as a runtime would, with the NAD's config alone in
NETCONFPATH (as Multus runs a NAD's config, chained after nothing), the
pod's addresses in CAP_ARGS (runtimeConfig, for configs declaring the
"ips" capability) and its identity in CNI_ARGS; fabric-cni takes the
node's settings from the node file the lab wrote. For the configs users
write (0.3.0, 0.3.1 and the founding notes' VNI-only NAD) and a 1.1.0 one:
ADD (the pod gets its address and pings a pod behind the other leaf on the
same VNI), CHECK (libcni refuses it itself before 0.4.0; it runs for
1.1.0), STATUS (1.1.0) and DEL (the attachment goes at fabricd).

Also: the lab's identities hold (fabricctl needs the operator's
certificate, a node's certificate is not an operator's) and a node's plugin
cannot attach for another node (items 18, 19, 20).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from cni.plugin import errors, nodeconf
from labs.dataplane import netns
from labs.pods import runtime, scenario
from labs.run import fabricd_proc, identities, runner
from labs.run.statefile import LabState
from tests.e2e import helpers as h
from tests.servers.tools import tool

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "labs" / "seed.clab.yml"
LIBCNI_CACHE = Path("/var/lib/cni")  # libcni's cache of results (cnitool uses the default)
PEER = "10.11.0.2"  # pod-peer on server2, behind sw2, on blue (VNI 1111)


@pytest.fixture(scope="module")
def cnitool() -> str:
    return str(tool("cnitool"))  # built by make tools


@pytest.fixture(scope="module")
def lab(e2e_root):
    """The seed lab with the lab's fabricd (mutual TLS), network blue and a
    peer pod on server2 (eth2, behind sw2), created as Multus would."""
    sdir = e2e_root / "libcni"
    state = runner.up(SEED, state_dir=sdir, dataplane="linux")
    try:
        fabricd_proc.start(state, metrics="127.0.0.1:0")
        scenario.fabricctl(state, "network", "create", "blue", "--vni", "1111", "-n", "default")
        nads = sdir / runtime.NADS_DIR
        nads.mkdir(exist_ok=True)
        doc = json.loads(scenario.fabricctl(state, "-o", "json", "nad", "default/blue"))
        (nads / "blue.yml").write_text(yaml.safe_dump(doc))
        sel = [{"name": "blue", "ips": [f"{PEER}/24"], "cni-args": {"uplink": "eth2"}}]
        pod = {
            "kind": "Pod",
            "metadata": {"name": "pod-peer", "annotations": {"k8s.v1.cni.cncf.io/networks": json.dumps(sel)}},
        }
        (sdir / "pod-peer.yml").write_text(json.dumps(pod))
        runtime.create(sdir, sdir / "pod-peer.yml", node="server2")
        runtime.ensure_node(sdir, "server1")  # its VLAN tagger runs, as on an installed node
        yield runner.status("seed", state_dir=sdir) or state
    finally:
        fabricd_proc.stop(state)
        runner.down("seed", state_dir=sdir)
    assert h.leftovers(state) == []


def attachments(state: LabState) -> list[dict[str, Any]]:
    return json.loads(scenario.fabricctl(state, "-o", "json", "attachment", "list"))


def in_server1(
    state: LabState, argv: list[str], env: dict[str, str], stdin: bytes = b""
) -> subprocess.CompletedProcess:
    node = state.node("server1")
    assert node is not None
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CNI_", "FABRIC_CNI_", "NETCONFPATH", "CAP_ARGS"))}
    return subprocess.run(
        ["ip", "netns", "exec", node.netns, *argv],
        input=stdin,
        env=base | env,
        capture_output=True,
        timeout=120,
        check=False,
    )


# ------------------------------------------------------------ identities


def test_the_lab_runs_fabricd_with_per_node_identities(lab, tmp_path):
    settings = yaml.safe_load((fabricd_proc.directory(lab) / "fabricd.yml").read_text())
    assert "insecure" not in settings["api"] and settings["api"]["tls"]["client_ca"].endswith("pki/ca.crt")
    assert settings["api"]["operators"] == ["fabricctl"]

    # fabricctl without a certificate, and with a node's: refused
    plain = subprocess.run(
        [str(Path(sys.executable).parent / "fabricctl"), "--server", fabricd_proc.address(lab), "network", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("FABRICCTL_")},
    )
    assert plain.returncode == 3, plain.stderr  # no TLS: fabricd cannot be reached
    node_dir = identities.node_file(lab.state_dir, "server1").parent
    as_node = {"FABRICCTL_CERT": str(node_dir / "node.crt"), "FABRICCTL_KEY": str(node_dir / "node.key")}
    env = {k: v for k, v in os.environ.items() if not k.startswith("FABRICCTL_")}
    env |= fabricd_proc.ctl_env(lab) | as_node
    p = subprocess.run(
        [str(Path(sys.executable).parent / "fabricctl"), "switch", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert p.returncode == 5 and "PERMISSION_DENIED" in p.stderr, p.stderr

    # each node's file, as fabric-cni reads it: its own name and certificate
    for name in ("server1", "server2", "server3"):
        f = identities.node_file(lab.state_dir, name)
        nc = nodeconf.parse(json.loads(f.read_text()), file=str(f), environ={}, hostname="unused")
        assert (nc.node, nc.controller, nc.uplink) == (name, fabricd_proc.address(lab), "eth1")
        assert nc.tls is not None and Path(nc.tls.key or "").stat().st_mode & 0o777 == 0o600
        assert nc.state_dir == str(Path(lab.state_dir) / "cni")


def test_a_node_cannot_attach_for_another_node(lab, tmp_path):
    """server1's plugin, with server1's certificate, claiming to be server2: PERMISSION_DENIED (102)."""
    own = json.loads(identities.node_file(lab.state_dir, "server1").read_text())
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**own, "node": "server2", "uplink": "eth2"}))
    pod = f"{lab.prefix}seed-pod-default.forged"
    netns.delete_netns(pod)
    subprocess.run(["ip", "netns", "add", pod], check=True)
    try:
        conf = {"cniVersion": "0.3.1", "name": "blue", "type": "fabric-cni", "network": "default/blue"}
        conf |= {"ipam": {"type": "static", "addresses": [{"address": "10.11.0.99/24"}]}}
        env = {
            "CNI_COMMAND": "ADD",
            "CNI_CONTAINERID": "forged",
            "CNI_NETNS": f"/run/netns/{pod}",
            "CNI_IFNAME": "net1",
            "CNI_PATH": ":".join(runtime.cni_path()),
            "CNI_ARGS": "K8S_POD_NAMESPACE=default;K8S_POD_NAME=forged;K8S_POD_UID=uid-forged",
            "FABRIC_CNI_NODE_CONFIG": str(forged),
        }
        p = in_server1(lab, [str(Path(sys.executable).parent / "fabric-cni")], env, json.dumps(conf).encode())
        doc = json.loads(p.stdout)
        assert doc["code"] == errors.NOT_AUTHORIZED and "PERMISSION_DENIED" in doc["msg"], doc
        assert "server2" in doc["msg"]
        assert {a["pod_name"] for a in attachments(lab)} == {"pod-peer"}
    finally:
        netns.delete_netns(pod)


# ---------------------------------------------------------------- libcni

CASES = {
    "0.3.0": {"cniVersion": "0.3.0", "network": "default/blue", "capabilities": {"ips": True}},
    "0.3.1": {"cniVersion": "0.3.1", "network": "default/blue", "capabilities": {"ips": True}},
    # the founding notes' NAD: a VNI, as a string; its address from the IPAM config
    "vni-only": {"cniVersion": "0.3.0", "VNI": "1111"},
    "1.1.0": {"cniVersion": "1.1.0", "network": "default/blue", "capabilities": {"ips": True}, "mtu": 1450},
}
ADDRESSES = {"0.3.0": "10.11.0.11", "0.3.1": "10.11.0.12", "vni-only": "10.11.0.13", "1.1.0": "10.11.0.14"}


@pytest.mark.parametrize("case", CASES)
def test_libcni_drives_fabric_cni(lab, cnitool, tmp_path, case):
    name = f"blue-{case.replace('.', '')}"
    address = ADDRESSES[case]
    conf: dict[str, Any] = {"name": name, "type": "fabric-cni", **CASES[case]}
    if "capabilities" in conf:
        conf["ipam"] = {"type": "static"}
        cap_args = json.dumps({"ips": [f"{address}/24"]})
    else:
        conf["ipam"] = {"type": "static", "addresses": [{"address": f"{address}/24"}]}
        cap_args = ""
    netconf = tmp_path / "net.d"
    netconf.mkdir()
    (netconf / f"10-{name}.conf").write_text(json.dumps(conf))
    pod = f"{lab.prefix}seed-pod-default.libcni-{case.replace('.', '')}"
    pod_path = f"/run/netns/{pod}"
    env = {
        "NETCONFPATH": str(netconf),
        "CNI_PATH": ":".join(runtime.cni_path()),
        "CNI_IFNAME": "net1",
        "CNI_ARGS": f"IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=libcni-{name};K8S_POD_UID=uid-{name}",
        "FABRIC_CNI_NODE_CONFIG": str(identities.node_file(lab.state_dir, "server1")),
    }
    if cap_args:
        env["CAP_ARGS"] = cap_args
    version = conf["cniVersion"]
    netns.delete_netns(pod)
    subprocess.run(["ip", "netns", "add", pod], check=True)
    try:
        add = in_server1(lab, [cnitool, "add", name, pod_path], env)
        assert add.returncode == 0, add.stderr.decode() + add.stdout.decode()
        result = json.loads(add.stdout)
        assert result["cniVersion"] == version
        ip = {"address": f"{address}/24", "interface": 0} | ({"version": "4"} if version < "1" else {})
        assert result["ips"] == [ip]
        assert [i["name"] for i in result["interfaces"]] == ["net1"]
        [att] = [a for a in attachments(lab) if a["pod_name"] == f"libcni-{name}"]
        assert (att["node"], att["nic"], att["switch"], att["vni"]) == ("server1", "eth1", "sw1", 1111)
        assert att["network"] == "default/blue" and att["cni_network"] == name

        # across the fabric: server1 (sw1) to the peer on server2 (sw2), VNI 1111
        ping = ["ip", "netns", "exec", pod, "ping", "-c", "1", "-W", "1", "-q", PEER]
        h.wait_for(
            f"{case}: the pod reaches {PEER} behind sw2", lambda: subprocess.run(ping, check=False).returncode == 0
        )

        check = in_server1(lab, [cnitool, "check", name, pod_path], env)
        if version >= "0.4.0":
            assert check.returncode == 0, check.stderr.decode() + check.stdout.decode()
        else:  # libcni refuses CHECK before 0.4.0 itself; fabric-cni would answer error 1 too
            assert check.returncode != 0 and b"does not support the CHECK command" in check.stderr, check.stderr
        if version == "1.1.0":
            status = in_server1(lab, [cnitool, "status", name, pod_path], env)
            assert status.returncode == 0, status.stderr.decode()

        delete = in_server1(lab, [cnitool, "del", name, pod_path], env)
        assert delete.returncode == 0, delete.stderr.decode() + delete.stdout.decode()
        assert {a["pod_name"] for a in attachments(lab)} == {"pod-peer"}
        assert "net1" not in {lk["ifname"] for lk in _links(pod)}
    finally:
        netns.delete_netns(pod)
        _forget_libcni_cache(name, pod_path)


def _links(ns: str) -> list[dict[str, Any]]:
    out = subprocess.run(["ip", "-n", ns, "-j", "link", "show"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def _forget_libcni_cache(network: str, netns_path: str) -> None:
    """What libcni cached for a failed run (DEL removes it; cnitool's container ID hashes the netns path)."""
    container = "cnitool-" + hashlib.sha512(netns_path.encode()).hexdigest()[:20]
    for f in (LIBCNI_CACHE / "results").glob(f"{network}-{container}-*"):
        f.unlink(missing_ok=True)

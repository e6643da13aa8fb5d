"""``fabric-cni install`` of the bundle (the DaemonSet's command): the
upgrade swaps a symlink and keeps the previous version, the node file it
writes is one the plugin accepts, the token and CA are copied beside it."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

from cni.plugin import nodeconf
from tests.cni.bundle import built


def install(exe: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(exe), "install", *args], capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "NODE_NAME": "server1"})  # fmt: skip


def test_upgrades_swap_the_symlink_and_keep_the_previous_version(tmp_path):
    bins = tmp_path / "bin"
    versions = []
    for i in range(3):
        src = tmp_path / f"v{i}"
        shutil.copytree(built("plugin"), src, symlinks=True)
        (src / "_internal" / "release").write_text(str(i))  # a different bundle each time
        proc = install(src / "fabric-cni", f"--bin-dir={bins}", f"--conf-dir={tmp_path / 'conf'}")
        assert proc.returncode == 0, proc.stderr
        versions.append(os.readlink(bins / "fabric-cni").split("/")[1])
    assert len(set(versions)) == 3
    assert sorted(p.name for p in (bins / "fabric-cni.d").iterdir()) == sorted(versions[1:])  # v0 removed
    assert (bins / "fabric-cni.d" / versions[2] / "_internal" / "release").read_text() == "2"
    assert not [p for p in bins.iterdir() if p.name.startswith(".")]  # no temporary left
    v = subprocess.run(
        [str(bins / "fabric-cni")], env={"CNI_COMMAND": "VERSION"}, capture_output=True, text=True, check=True
    )
    assert "supportedVersions" in v.stdout  # runs through the symlink


def test_the_node_file_carries_the_token_and_ca_and_parses(tmp_path):
    (tmp_path / "ca.crt").write_text("-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n")
    (tmp_path / "token").write_text("header.payload.signature\n")
    conf = tmp_path / "host-etc-fabric-cni"
    proc = install(built("plugin") / "fabric-cni", f"--bin-dir={tmp_path / 'bin'}", f"--conf-dir={conf}",
                   "--host-conf-dir=/etc/fabric-cni", "--controller=localhost:50052",
                   f"--ca={tmp_path / 'ca.crt'}", f"--token={tmp_path / 'token'}")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((conf / "node.json").read_text())
    assert doc == {
        "controller": "127.0.0.1:50052",  # resolved here: the host's resolver knows no cluster names
        "tls": {"ca": "/etc/fabric-cni/ca.crt", "serverName": "localhost"},
        "token": "/etc/fabric-cni/token",
        "node": "server1",
    }
    assert stat.S_IMODE((conf / "token").stat().st_mode) == 0o600
    assert (conf / "token").read_text() == "header.payload.signature\n"
    parsed = nodeconf.parse(doc, file="node.json", environ={}, hostname="x")
    assert (parsed.token, parsed.node, parsed.tls and parsed.tls.server_name) == (
        "/etc/fabric-cni/token", "server1", "localhost")  # fmt: skip


def test_a_token_without_tls_is_refused(tmp_path):
    (tmp_path / "token").write_text("t")
    proc = install(built("plugin") / "fabric-cni", f"--bin-dir={tmp_path / 'bin'}", f"--conf-dir={tmp_path}",
                   f"--token={tmp_path / 'token'}")  # fmt: skip
    assert proc.returncode != 0 and "--token needs --ca" in proc.stderr
    doc = {"controller": "10.0.0.1:50052", "token": "/etc/fabric-cni/token"}
    try:
        nodeconf.parse(doc, file="node.json", environ={}, hostname="x")
    except nodeconf.CniError as e:
        assert "token: needs tls.ca" in e.msg
    else:
        raise AssertionError("a node file with a token and no TLS was accepted")

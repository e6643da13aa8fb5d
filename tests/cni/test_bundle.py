"""fabric-cni as a node without Python runs it: the PyInstaller bundle
(``make plugin``) installed by its own ``install`` command into a minimal
Debian root (``make noderoot``: debootstrap --variant=minbase, no Python),
then run from there through the installed symlink for VERSION, ADD and DEL
against a real fabricd (seed lab emulators), in the test's node namespace
with the real macvlan and static plugins (root)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess

import pytest

from tests.cni.bundle import built, in_root, nodeimage
from tests.cni.nodebed import CNI_PATH
from tests.controller.fabric import eventually

pytestmark = pytest.mark.e2e


def glibc(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.removeprefix("GLIBC_").split("."))


def test_the_root_has_no_python_and_a_glibc_the_bundle_accepts():
    root, plugin = built("root"), built("plugin")
    assert not list((root / "usr" / "bin").glob("python*")) and not (root / "usr" / "lib" / "python3").exists()
    out = subprocess.run(["chroot", str(root), "/lib/x86_64-linux-gnu/libc.so.6"], capture_output=True, text=True,
                         check=True).stdout  # fmt: skip
    have = re.search(r"release version (\d+\.\d+)", out)
    assert have, out
    floor = nodeimage.glibc_floor(plugin)
    assert floor.startswith("GLIBC_2.") and glibc(floor) <= glibc(have.group(1)), (floor, have.group(1))


_SCRIPTS = (
    "import json, sys\n"
    "from PyInstaller.archive.readers import CArchiveReader\n"
    "print(json.dumps([n for n, e in CArchiveReader(sys.argv[1]).toc.items() if e[-1] == 's']))\n"
)


def test_nothing_runs_before_the_plugin_but_pyinstallers_bootstrap():
    """The scripts the executable runs at each start, in order (read from its archive with PyInstaller's own
    reader): its bootstrap, then the plugin. PyInstaller's runtime hook for ``inspect`` cost ~30 ms of every
    ADD (it imports inspect and zipfile with a dozen modules); no hook comes back unnoticed."""
    exe = built("plugin") / "fabric-cni"
    out = subprocess.run([str(nodeimage._python()), "-c", _SCRIPTS, str(exe)], capture_output=True, text=True,
                         check=True).stdout  # fmt: skip
    assert json.loads(out) == ["pyiboot01_bootstrap", "fabric_cni_entry"]


async def test_installed_bundle_adds_and_deletes_in_a_minimal_root(api, bed, tmp_path):
    root = built("root")
    work = tmp_path / "node"
    install = ["/mnt/src/fabric-cni", "install", "--bin-dir=/opt/cni/bin", "--conf-dir=/mnt/conf",
               f"--controller=unix://{api.socket}"]  # fmt: skip
    for _ in range(2):  # idempotent: the second run finds the same version and the same node file
        proc = await asyncio.to_thread(subprocess.run, in_root(root, work, CNI_PATH, install), capture_output=True,
                                       env={**os.environ, "NODE_NAME": "server1"}, text=True, timeout=120)  # fmt: skip
        assert proc.returncode == 0, proc.stderr
    link = work / "opt" / "cni" / "bin" / "fabric-cni"
    target = os.readlink(link)
    assert re.fullmatch(r"fabric-cni\.d/[0-9a-f]{16}/fabric-cni", target), target
    assert [p.name for p in (link.parent / "fabric-cni.d").iterdir()] == [target.split("/")[1]]
    assert json.loads((work / "mnt" / "conf" / "node.json").read_text()) == {
        "controller": f"unix://{api.socket}",
        "node": "server1",
    }

    exe = in_root(root, work, CNI_PATH, ["/opt/cni/bin/fabric-cni"])
    env = {"CNI_PATH": "/mnt/cni"}
    version = (await bed.cni("server1", "VERSION", None, exe=exe, env=env)).ok().json
    assert "1.1.0" in version["supportedVersions"]
    conf = {**(await api.nad("blue")), "runtimeConfig": {"ips": ["10.11.0.1/24"]}}
    pod = bed.pod("a")
    res = (await bed.cni("server1", "ADD", conf, netns=pod, exe=exe, env=env)).ok().json
    assert res["ips"] == [{"interface": 0, "address": "10.11.0.1/24"}]
    [att] = await api.attachments()
    assert (att.node, att.nic, att.switch) == ("server1", "eth1", "sw1")
    assert "net1" in bed.links(pod.rsplit("/", 1)[1])
    vlan = att.vlan
    await eventually(lambda: vlan in api.trunk_vlans("sw1", "ethernet-1/1"), what="VLAN on the leaf port")

    (await bed.cni("server1", "DEL", {**conf, "prevResult": res}, netns=pod, exe=exe, env=env)).ok()
    assert "net1" not in bed.links(pod.rsplit("/", 1)[1])
    assert await api.attachments() == []

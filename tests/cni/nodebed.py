"""Kubernetes nodes for the plugin's e2e tests, without the Linux lab: per
node a network namespace with NICs ``eth1``/``eth2`` (veth) whose peers sit
in a "wire" namespace standing in for the leaves, the userspace 802.1Q
tagger in the node and in the wire (this kernel has no 802.1Q), and pods as
network namespaces. ``fabric-cni`` runs inside the node's network namespace
and a UTS namespace whose host name is the node's, exactly as a runtime on
that node would run it, with the node's settings in a node file of its own
(``$FABRIC_CNI_NODE_CONFIG``: fabricd's address, the state directory, the
node's tagger, the default uplink ``eth1``), as the node's installer writes it.

Host-global names carry ``fdv<pid>-`` (swept by :mod:`labs.dataplane.testbed`
when that pid is gone); sockets, state and logs live in a short directory
``/tmp/fdv<pid>-cni-*``, removed at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from labs.dataplane import testbed
from labs.dataplane.tagger import TaggerProcess, start_tagger, stop_tagger

FABRIC_CNI = str(Path(sys.executable).parent / "fabric-cni")
CNI_PATH = "/usr/lib/cni"
NICS = ("eth1", "eth2")


@dataclasses.dataclass
class Node:
    name: str
    netns: str
    tagger: TaggerProcess


@dataclasses.dataclass
class CniAnswer:
    rc: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout) if self.stdout.strip() else None

    def ok(self) -> CniAnswer:
        assert self.rc == 0, f"fabric-cni exit {self.rc}: {self.stdout} {self.stderr}"
        return self

    def error(self, code: int) -> dict[str, Any]:
        assert self.rc != 0, f"fabric-cni succeeded: {self.stdout}"
        doc = self.json
        assert doc["code"] == code, doc
        assert "Traceback" not in self.stderr, self.stderr
        return doc


@dataclasses.dataclass
class Bed:
    prefix: str
    dir: Path
    wire: str
    wire_tagger: TaggerProcess
    nodes: dict[str, Node]
    namespaces: list[str]
    controller: str = ""  # fabricd's address, for the node files

    @property
    def state_dir(self) -> Path:
        return self.dir / "cni"

    def node_file(self, node: str, **over: Any) -> Path:
        """Write ``node``'s node file (``over``: keys changed, None drops one); its path."""
        doc: dict[str, Any] = {
            "controller": self.controller or "unix:///nonexistent/fabricd.sock",
            "stateDir": str(self.state_dir),
            "vlanBackend": {"taggerSocket": self.nodes[node].tagger.socket},
            "uplink": "eth1",
            "attachTimeout": 20,
        }
        doc.update(over)
        path = self.dir / f"{node}.node.json"
        path.write_text(json.dumps({k: v for k, v in doc.items() if v is not None}))
        return path

    def peer(self, node: str, nic: str) -> str:
        """The wire-side name of ``node``'s ``nic`` (``s1e1``)."""
        return f"s{node[-1]}e{nic[-1]}"

    def pod(self, name: str) -> str:
        """A fresh pod network namespace; its path (CNI_NETNS)."""
        ns = f"{self.prefix}p-{name}"
        testbed.delete_netns(ns)
        testbed.add_netns(ns)
        self.namespaces.append(ns)
        return f"/run/netns/{ns}"

    def node_state(self, node: str) -> dict[str, Any]:
        path = self.state_dir / node / "state.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def links(self, netns: str) -> dict[str, dict[str, Any]]:
        out = subprocess.run(
            ["ip", "-n", netns, "-j", "-d", "link", "show"], capture_output=True, text=True, check=True
        )
        return {d["ifname"]: d for d in json.loads(out.stdout)}

    def wire_address(self, node: str, nic: str, vlan: int, address: str) -> str:
        """``address`` on VLAN ``vlan`` of the wire end of ``node``'s ``nic``: the far end of the pod's VLAN."""
        ifname = self.wire_tagger.client().ensure(self.peer(node, nic), vlan)
        testbed.ip("address", "replace", address, "dev", ifname, netns=self.wire)
        testbed.ip("link", "set", ifname, "up", netns=self.wire)
        return ifname

    async def cni(
        self,
        node: str,
        command: str,
        conf: dict[str, Any] | bytes | None,
        *,
        container: str = "c1",
        ifname: str = "net1",
        netns: str = "",
        pod: tuple[str, str, str] | None = ("default", "pod-a", "uid-a"),
        env: dict[str, str] | None = None,
        hostname: str | None = None,
        node_conf: dict[str, Any] | None = None,
        exe: list[str] | None = None,
    ) -> CniAnswer:
        """Run fabric-cni in ``node`` like its runtime would (``node_conf``:
        keys of the node file changed for this run; ``exe``: the command
        instead of the venv's fabric-cni)."""
        n = self.nodes[node]
        full = {k: v for k, v in os.environ.items() if not k.startswith(("CNI_", "FABRIC_CNI_"))}
        full.update(
            CNI_COMMAND=command,
            CNI_CONTAINERID=container,
            CNI_NETNS=netns,
            CNI_IFNAME=ifname,
            CNI_PATH=CNI_PATH,
            FABRIC_CNI_NODE_CONFIG=str(self.node_file(node, **(node_conf or {}))),
        )
        if pod is not None:
            ns, name, uid = pod
            full["CNI_ARGS"] = (
                f"IgnoreUnknown=1;K8S_POD_NAMESPACE={ns};K8S_POD_NAME={name};"
                f"K8S_POD_INFRA_CONTAINER_ID={container};K8S_POD_UID={uid}"
            )
        full.update(env or {})
        for key in [k for k, v in full.items() if v is None]:
            del full[key]
        stdin = conf if isinstance(conf, bytes) else json.dumps(conf or {}).encode()
        argv = in_node(n.netns, hostname or node, exe or [FABRIC_CNI])
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full
        )
        out, err = await asyncio.wait_for(proc.communicate(stdin), 120)
        assert proc.returncode is not None
        return CniAnswer(rc=proc.returncode, stdout=out.decode(), stderr=err.decode())

    async def sh(self, netns: str, *argv: str, limit: float = 30) -> subprocess.CompletedProcess[str]:
        proc = await asyncio.create_subprocess_exec(
            "ip", "netns", "exec", netns, *argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        out, err = await asyncio.wait_for(proc.communicate(), limit)
        assert proc.returncode is not None
        return subprocess.CompletedProcess(argv, proc.returncode, out.decode(), err.decode())


def in_node(netns: str, hostname: str, argv: list[str]) -> list[str]:
    """``argv`` in the node's network namespace and a UTS namespace named ``hostname``."""
    return ["ip", "netns", "exec", netns, "unshare", "--uts", "--", "sh", "-c", 'hostname "$0" && exec "$@"',
            hostname, *argv]  # fmt: skip


@contextlib.contextmanager
def node_bed(nodes: tuple[str, ...] = ("server1", "server2")) -> Iterator[Bed]:
    prefix = testbed.run_prefix()
    testbed.sweep_stale()
    work = Path(tempfile.mkdtemp(prefix=f"{prefix}cni-", dir="/tmp"))
    wire = f"{prefix}wire"
    names = [wire, *(f"{prefix}{n}" for n in nodes)]
    taggers: list[TaggerProcess] = []
    bed: Bed | None = None
    try:
        for ns in names:
            testbed.delete_netns(ns)
            testbed.add_netns(ns)
        for n in nodes:
            for nic in NICS:
                peer = f"s{n[-1]}e{nic[-1]}"
                testbed.ip("link", "add", nic, "netns", f"{prefix}{n}", "type", "veth", "peer", "name", peer,
                           "netns", wire)  # fmt: skip
                testbed.ip("link", "set", nic, "up", netns=f"{prefix}{n}")
                testbed.ip("link", "set", peer, "up", netns=wire)
        wire_tagger = start_tagger(netns=wire, socket=work / "wire.sock")
        taggers.append(wire_tagger)
        made = {}
        for n in nodes:
            t = start_tagger(netns=f"{prefix}{n}", socket=work / f"{n}.sock")
            taggers.append(t)
            made[n] = Node(name=n, netns=f"{prefix}{n}", tagger=t)
        bed = Bed(prefix=prefix, dir=work, wire=wire, wire_tagger=wire_tagger, nodes=made, namespaces=names)
        yield bed
    finally:
        for t in taggers:
            stop_tagger(t, grace=5.0)
        for ns in reversed(bed.namespaces if bed else names):
            testbed.delete_netns(ns)
        shutil.rmtree(work, ignore_errors=True)


@contextlib.contextmanager
def capture(netns: str, iface: str, *tcpdump_args: str) -> Iterator[dict[str, str]]:
    """tcpdump -e on ``iface`` of ``netns`` while the block runs; {"text": ...} after."""
    proc = subprocess.Popen(
        ["ip", "netns", "exec", netns, "tcpdump", "-i", iface, "-nn", "-e", "-l", *tcpdump_args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    box = {"text": ""}
    try:
        assert proc.stderr is not None
        seen, end = b"", time.monotonic() + 10
        while b"listening on" not in seen and time.monotonic() < end and proc.poll() is None:
            seen += os.read(proc.stderr.fileno(), 4096)
        assert b"listening on" in seen, seen
        yield box
        time.sleep(0.3)
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
        box["text"] = out.decode(errors="replace")

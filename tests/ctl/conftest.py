"""Fixtures of the fabricctl tests: a real in-process fabricd (tests/stack.py)
on a unix socket, optionally with mutual TLS or with an inventory of
switches that do not answer (the seed lab's names and cabling)."""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from controller.store import Mutation
from controller.store.sqlite import SqliteStore
from labs.run.certs import create_ca, issue_client_cert, issue_server_cert, write_pair
from models.alloc import VlanAllocation
from models.ids import Evi, SwitchName, VlanId, Vni
from models.intent import Network
from tests.ctl.run import Result, ctl
from tests.seedlab import offline_inventory
from tests.stack import Stack, settings, stack


@pytest.fixture(autouse=True)
def _no_fabricctl_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("FABRICCTL_"):
            monkeypatch.delenv(key)


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A short directory: unix socket paths must stay under 108 bytes."""
    d = Path(tempfile.mkdtemp(prefix="fctl-", dir="/tmp"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


@dataclasses.dataclass
class Api:
    stack: Stack
    server: str
    tls: tuple[str, ...] = ()

    async def ctl(self, *args: str, tls: tuple[str, ...] | None = None) -> Result:
        return await ctl(self.server, *args, tls=self.tls if tls is None else tls)


@pytest.fixture
async def api(short_tmp: Path) -> AsyncIterator[Api]:
    sock = short_tmp / "api.sock"
    async with stack(settings(short_tmp, api={"listen": [f"unix://{sock}"]})) as st:
        yield Api(stack=st, server=f"unix://{sock}")


@pytest.fixture
async def offline(short_tmp: Path) -> AsyncIterator[Api]:
    """fabricd with the seed lab's inventory and port map; no switch answers.
    Attach waits at most 0.3 s for a leaf; a leaf never read is not claimed, so an
    attach behind it is refused (UNAVAILABLE, nothing kept): ``offline_known``."""
    async for api in _offline(short_tmp):
        yield api


@pytest.fixture
async def offline_known(short_tmp: Path) -> AsyncIterator[Api]:
    """``offline``, on a store that holds a VLAN of sw1 (network ``other``, VNI 2222: a fabricd that
    configured sw1 before, restarted while the switches are away): an attach behind sw1 is kept pending
    (UNAVAILABLE)."""
    store = SqliteStore(short_tmp / "fabricd.db")
    try:
        other = Network(namespace="default", name="other", vni=Vni(2222))
        alloc = VlanAllocation(switch=SwitchName("sw1"), vni=Vni(2222), vlan=VlanId(200))
        await store.commit(Mutation(put_networks=[(other, Evi(1), 1.0)], put_allocations=[alloc]))
    finally:
        store.close()
    async for api in _offline(short_tmp):
        yield api


async def _offline(short_tmp: Path) -> AsyncIterator[Api]:
    inv = offline_inventory(short_tmp)
    sock = short_tmp / "api.sock"
    s = settings(
        short_tmp,
        api={"listen": [f"unix://{sock}"], "attach_timeout": "0.3s"},
        inventory=str(inv),
        port_map=str(short_tmp / "portmap.yml"),
        reconcile={"backoff_initial": "2s", "backoff_max": "5s"},
        gnmi={"timeout": "1s", "connect_timeout": "1s"},
    )
    async with stack(s) as st:
        yield Api(stack=st, server=f"unix://{sock}")


@dataclasses.dataclass
class Pki:
    dir: Path
    ca: Path
    server_cert: Path
    server_key: Path

    def client(self, name: str) -> tuple[str, ...]:
        return ("--ca", str(self.ca), "--cert", str(self.dir / f"{name}.crt"), "--key", str(self.dir / f"{name}.key"))


@pytest.fixture
def pki(short_tmp: Path) -> Pki:
    """A CA, fabricd's server certificate (name ``fabricd``, IP 127.0.0.1),
    client certificates ``fabricctl`` (an operator) and ``server1`` (a node),
    and ``rogue``: named fabricctl but signed by another CA."""
    d = short_tmp / "pki"
    d.mkdir()
    ca = create_ca("fabricd test CA")
    ca_file, _ = write_pair(d, "ca", ca)
    cert, key = write_pair(d, "server", issue_server_cert(ca, "fabricd"))
    for name, role in (("fabricctl", "operator"), ("server1", "node")):
        write_pair(d, name, issue_client_cert(ca, name, role=role))
    other = create_ca("another CA")
    write_pair(d, "other-ca", other)
    write_pair(d, "rogue", issue_client_cert(other, "fabricctl", role="operator"))
    return Pki(dir=d, ca=ca_file, server_cert=cert, server_key=key)


@pytest.fixture
async def mtls(short_tmp: Path, pki: Pki) -> AsyncIterator[Api]:
    """fabricd with mutual TLS on TCP 127.0.0.1 and on a unix socket;
    operators: fabricctl."""
    sock = short_tmp / "tls.sock"
    s = settings(
        short_tmp,
        api={
            "insecure": False,
            "listen": ["127.0.0.1:0", f"unix://{sock}"],
            "tls": {"cert": str(pki.server_cert), "key": str(pki.server_key), "client_ca": str(pki.ca)},
            "operators": ["fabricctl"],
        },
    )
    async with stack(s) as st:
        yield Api(stack=st, server=str(st.api.bound[0]), tls=pki.client("fabricctl"))

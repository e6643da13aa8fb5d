"""The seed lab's switches and cabling for tests that need no running
switch: an inventory whose addresses nobody listens on, and the lab's port
map. (tests/controller/fabric.py runs the same lab on the emulator.)"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import yaml

from labs.files.topofile import load_lab
from labs.run.inventory import portmap

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "labs/seed.clab.yml"


def closed_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def offline_inventory(tmp: Path, *, password: str = "not-a-real-password") -> Path:
    """``tmp/inventory.yml`` (the seed switches, unreachable) and
    ``tmp/portmap.yml``; returns the inventory's path."""
    lab = load_lab(SEED)
    (tmp / "password").write_text(password + "\n")
    switches: dict[str, Any] = {}
    for sw in lab.switches():
        switches[sw.name] = {
            "address": f"127.0.0.1:{closed_port()}",
            "platform": sw.platform,
            "role": sw.role,
            "asn": sw.asn,
            "router_id": str(sw.router_id),
            "plaintext": True,
            "credentials": {"username": "admin", "password_file": str(tmp / "password")},
        }
    path = tmp / "inventory.yml"
    path.write_text(yaml.safe_dump({"version": 1, "switches": switches}))
    (tmp / "portmap.yml").write_text(yaml.safe_dump(portmap(lab)))
    return path

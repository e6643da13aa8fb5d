"""What removes each kind of resource a Linux lab records in its state file
(registered in :data:`labs.run.teardown.RESOURCE_KINDS`). Each handler tolerates
a resource that is already gone, so ``down`` is idempotent and also cleans
up after a crash or a half-finished ``up``. Processes are stopped before any
of these run (:mod:`labs.run.teardown`).

=============  =====================================  ==========================
kind           record                                 removal
=============  =====================================  ==========================
``netns``      ``{"name": NS}``                       processes left inside are
                                                      stopped, ``ip netns delete``
``uts``        ``{"name": NODE, "path": FILE}``       unmounted, file removed
``frr-tmpdir`` ``{"name": "zebra.PID", "path": P}``   removed (FRR leaves it when
                                                      killed hard)
=============  =====================================  ==========================
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from labs.dataplane import netns
from labs.dataplane.frr import TMP_DIR
from labs.errors import LabStateError

_FRR_TMP = re.compile(r"^(zebra|bgpd)\.\d+$")


def netns_resource(name: str) -> dict[str, str]:
    return {"kind": "netns", "name": name}


def uts_resource(node: str, path: str) -> dict[str, str]:
    return {"kind": "uts", "name": node, "path": path}


def frr_tmpdir_resource(daemon: str, pid: int) -> dict[str, str]:
    name = f"{daemon}.{pid}"
    return {"kind": "frr-tmpdir", "name": name, "path": str(TMP_DIR / name)}


def remove_netns(res: Mapping[str, Any]) -> None:
    netns.delete_netns(str(res["name"]))


def remove_uts(res: Mapping[str, Any]) -> None:
    netns.unmount(str(res["path"]))


def remove_frr_tmpdir(res: Mapping[str, Any]) -> None:
    path = Path(str(res["path"]))
    if path.parent != TMP_DIR or not _FRR_TMP.match(path.name):
        raise LabStateError(f"frr-tmpdir {path}: not an FRR temporary directory, not removing it")
    shutil.rmtree(path, ignore_errors=True)


HANDLERS = {
    "netns": remove_netns,
    "uts": remove_uts,
    "frr-tmpdir": remove_frr_tmpdir,
}


def unmount_under(path: Path) -> list[str]:
    """Unmount whatever is mounted below ``path`` (UTS namespace files of a
    state directory whose state file was lost); the mount points."""
    base = str(path.absolute()).rstrip("/") + "/"
    found = sorted(m for m in netns.mount_points() if m.startswith(base))
    for m in found:
        netns.unmount(m)
    return found

"""The bundled plugin (``make plugin``) and the minimal Debian root
(``make noderoot``) of scripts/nodeimage.py, and a way to run a command in
that root the way a node without Python would: a private mount namespace
with the root's /tmp, /run/netns, /dev and /proc being the host's (the
test's sockets, state and pod namespaces live there), /opt a directory of
the test (the node's CNI binary directory) and /mnt the test's work
directory with the bundle at /mnt/src and the CNI plugins at /mnt/cni."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tests.servers.tools import ROOT

_spec = importlib.util.spec_from_file_location("fabricd_nodeimage", ROOT / "scripts" / "nodeimage.py")
assert _spec is not None and _spec.loader is not None
nodeimage = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nodeimage)

SETUP = r"""set -e
R=$1 W=$2 SRC=$3 CNI=$4; shift 4
mount --rbind /tmp "$R/tmp"
mount --bind "$W/opt" "$R/opt"
mount --bind "$W/mnt" "$R/mnt"
mount --bind "$SRC" "$R/mnt/src"
mount --bind "$CNI" "$R/mnt/cni"
mount -t tmpfs tmpfs "$R/run"
mkdir "$R/run/netns"
mount --rbind /run/netns "$R/run/netns"
mount --rbind /dev "$R/dev"
mount -t proc proc "$R/proc"
exec chroot "$R" "$@"
"""


def built(what: str) -> Path:
    """The plugin directory or the root; a clear failure when missing (make test builds them)."""
    path = Path(nodeimage.plugin_dir() if what == "plugin" else nodeimage.root_dir())
    probe = path / "fabric-cni" if what == "plugin" else path / "bin" / "sh"
    if not probe.exists():
        raise AssertionError(f"{path} is not built: run `make {'plugin' if what == 'plugin' else 'noderoot'}`")
    return path


def in_root(root: Path, work: Path, cni_path: str, argv: list[str]) -> list[str]:
    """``argv`` run inside ``root`` (see the module docstring); ``work`` gets ``opt/`` and ``mnt/``."""
    for d in ("opt", "mnt/src", "mnt/cni"):
        (work / d).mkdir(parents=True, exist_ok=True)
    return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", SETUP, "sh",
            str(root), str(work), str(built("plugin")), cni_path, *argv]  # fmt: skip

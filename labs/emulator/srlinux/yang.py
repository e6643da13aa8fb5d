"""Nokia's SR Linux 25.3.1 models through libyang's ``yanglint`` (Debian's
``libyang2-tools``), as fabricd validates SR Linux configurations: the
golden files and day-0 documents in the tests, every Set's result in the
emulator with ``validate: full`` (docs/platforms.md, "Truth against Nokia's
models").

* ``srl_nokia-features`` first, with exactly the features of a real platform
  (the 7220 IXR-D2L, containerlab's default SR Linux type): with every
  feature on, constraints of other hardware apply;
* then fabricd's deviation module (``models/platforms/yang``), which restates
  the ``must`` rules libyang misreads before Nokia's modules compile them;
* then the modules of the service and of the day-0 underlay; documents are
  checked as configuration (``-t config``: state nodes are refused).

The models are third-party data, read from ``../shared/yang/srlinux-25.3.1``
beside the checkout or from ``$FABRIC_SRL_YANG``; :func:`missing` says where
to get them when they are absent.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from models.oc.path import Path as GnmiPath
from models.oc.tree import Tree

REPO = Path(__file__).resolve().parents[3]
DEVIATIONS = REPO / "models" / "platforms" / "yang" / "fabricd-srl-deviations.yang"
ENV = "FABRIC_SRL_YANG"
DEFAULT = REPO.parent / "shared" / "yang" / "srlinux-25.3.1"
SOURCE = (
    "tag v25.3.1 of github.com/nokia/srlinux-yang-models (its srl_nokia/, ietf/, iana/ and openconfig/), "
    "with the 7220 IXR-D2L feature list of github.com/srl-labs/yang-browser "
    "(static/releases/v25.3.1/platform_features/7220-IXR-D2L.json, one feature a line) "
    "as platform-features/7220-IXR-D2L.txt"
)
PLATFORM = "7220-IXR-D2L"
#: the modules loaded (below srl_nokia/models): the service fabricd renders,
#: then what a switch's day-0 holds (the underlay's BGP and policies, LLDP)
MODULES = (
    "common/srl_nokia-common",
    "interfaces/srl_nokia-interfaces",
    "interfaces/srl_nokia-interfaces-vlans",
    "interfaces/srl_nokia-interfaces-router-adv",
    "tunnel/srl_nokia-tunnel-interfaces",
    "network-instance/srl_nokia-network-instance",
    "network-instance/srl_nokia-bgp-evpn",
    "network-instance/srl_nokia-bgp-vpn",
    "network-instance/srl_nokia-bgp",
    "routing-policy/srl_nokia-routing-policy",
    "system/srl_nokia-system",
    "system/srl_nokia-lldp",
)
TIMEOUT_S = 300.0


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    ok: bool
    #: libyang's error lines (empty when ok); it stops at the first error
    errors: str

    @property
    def first(self) -> str:
        """The first error without libyang's prefix."""
        line = self.errors.splitlines()[0] if self.errors else ""
        return line.removeprefix("libyang err : ")


def models_dir() -> Path:
    explicit = os.environ.get(ENV)
    return Path(explicit) if explicit else DEFAULT


def missing() -> str | None:
    """Why validation against the models cannot run here, or None."""
    root = models_dir()
    if not root.exists():
        how = f"${ENV}" if os.environ.get(ENV) else "../shared/yang/srlinux-25.3.1 beside the checkout"
        return f"Nokia's SR Linux 25.3.1 YANG models are absent at {root} ({how}); get them from {SOURCE}, or set {ENV}"
    if not (root / "platform-features" / f"{PLATFORM}.txt").exists():
        return f"{root}: no platform-features/{PLATFORM}.txt (from {SOURCE})"
    return None


def features(root: Path, platform: str = PLATFORM) -> list[str]:
    lines = (root / "platform-features" / f"{platform}.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def schema_command(root: Path, *, deviations: bool = True, platform: str = PLATFORM) -> list[str]:
    """yanglint with the schema loaded (append ``-t config FILE...`` or ``-f tree``)."""
    srl = root / "srl_nokia" / "models"
    cmd = ["yanglint", "-D", "-Q"]
    for search in (root / "ietf", root / "iana", root / "openconfig", srl):
        cmd += ["-p", str(search)]
    cmd += ["-F", "srl_nokia-features:" + ",".join(features(root, platform))]
    cmd.append(str(srl / "common" / "srl_nokia-features.yang"))
    if deviations:
        cmd.append(str(DEVIATIONS))
    return cmd + [str(srl / f"{m}.yang") for m in MODULES]


def command(docs: Sequence[Path], root: Path, *, deviations: bool = True, platform: str = PLATFORM) -> list[str]:
    return [*schema_command(root, deviations=deviations, platform=platform), "-t", "config", *map(str, docs)]


def validate(
    *docs: Path | dict[str, Any], root: Path | None = None, deviations: bool = True, platform: str = PLATFORM
) -> Verdict:
    """Every document as an SR Linux configuration; libyang stops at the first
    error, which names the document's data location."""
    with tempfile.TemporaryDirectory(prefix="fabricd-yang-") as tmp:
        paths: list[Path] = []
        for i, doc in enumerate(docs):
            if isinstance(doc, dict):
                written = Path(tmp) / f"doc{i}.json"
                written.write_text(json.dumps(doc))
                paths.append(written)
            else:
                paths.append(doc)
        proc = subprocess.run(
            command(paths, root or models_dir(), deviations=deviations, platform=platform),
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    errors = "\n".join(line for line in (proc.stdout + proc.stderr).splitlines() if line.strip())
    return Verdict(ok=proc.returncode == 0, errors=errors)


class SrlinuxFullCheck:
    """``validate: full`` of the ``srlinux`` profile: the whole resulting
    configuration against the models (about half a second a Set, most of it
    loading the schema)."""

    def missing(self) -> str | None:
        return missing()

    def documents(self, config: Tree, anchors: Iterable[GnmiPath]) -> Any:
        del anchors  # Nokia's musts read across the whole configuration
        return config.to_json()

    def check(self, docs: Any) -> list[str]:
        verdict = validate(docs)
        return [] if verdict.ok else [f"/: Nokia's 25.3.1 models: {verdict.first}"]

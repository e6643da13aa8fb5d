"""Nokia's SR Linux 25.3.1 models through libyang's ``yanglint``, as fabricd
validates its SR Linux documents (docs/platforms.md, "Truth against the
vendor's models"):

* ``srl_nokia-features`` first, with exactly the features of a real platform
  (the 7220 IXR-D2L, containerlab's default SR Linux type): with every feature
  on, constraints of other hardware apply;
* then fabricd's deviation module (``models/platforms/yang``), which restates
  the ``must`` rules libyang misreads, before Nokia's modules compile them;
* then the service's modules; documents are checked as configuration
  (``-t config``: state nodes are refused).

The models are third-party data read from ``../shared`` (or
``$FABRIC_SRL_YANG``); without them the tests that need them skip and say
where to get them (:mod:`tests.thirdparty`).
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.thirdparty import REPO, SRL_YANG, require

DEVIATIONS = REPO / "models" / "platforms" / "yang" / "fabricd-srl-deviations.yang"
PLATFORM = "7220-IXR-D2L"
#: the modules of the service fabricd renders (below srl_nokia/models)
MODULES = (
    "interfaces/srl_nokia-interfaces",
    "interfaces/srl_nokia-interfaces-vlans",
    "tunnel/srl_nokia-tunnel-interfaces",
    "network-instance/srl_nokia-network-instance",
    "network-instance/srl_nokia-bgp-evpn",
    "network-instance/srl_nokia-bgp-vpn",
)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    ok: bool
    #: libyang's error lines (empty when ok)
    errors: str


def models() -> Path:
    """The models' directory; skips the test when absent."""
    return require(SRL_YANG)


def features(root: Path, platform: str = PLATFORM) -> list[str]:
    lines = (root / "platform-features" / f"{platform}.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def command(docs: Sequence[Path], *, deviations: bool = True, platform: str = PLATFORM) -> list[str]:
    root = models()
    srl = root / "srl_nokia" / "models"
    cmd = ["yanglint", "-D", "-Q"]
    for search in (root / "ietf", root / "iana", root / "openconfig", srl):
        cmd += ["-p", str(search)]
    cmd += ["-F", "srl_nokia-features:" + ",".join(features(root, platform))]
    cmd.append(str(srl / "common" / "srl_nokia-features.yang"))
    if deviations:
        cmd.append(str(DEVIATIONS))
    cmd += [str(srl / f"{m}.yang") for m in MODULES]
    return [*cmd, "-t", "config", *map(str, docs)]


def validate(*docs: Path | dict[str, Any], deviations: bool = True, platform: str = PLATFORM) -> Verdict:
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
            command(paths, deviations=deviations, platform=platform),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    errors = "\n".join(line for line in (proc.stdout + proc.stderr).splitlines() if line.strip())
    return Verdict(ok=proc.returncode == 0, errors=errors)

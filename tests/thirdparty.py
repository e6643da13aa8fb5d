"""Third-party data the project does not own, kept out of the repository
(DEVELOPERS.md, "Third-party files").

Each file is read from ``../shared/`` beside the checkout
(``<repo>/../shared/<relative path>``), or from the path in its environment
variable. Where it is absent, :func:`require` skips the test with a reason
that says where to get the file and how to point the tests at it.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ThirdParty:
    what: str  # for messages
    relative: str  # below ../shared
    env: str  # the variable that overrides the path
    source: str  # where to get it

    def path(self) -> Path:
        """Where the tests read it: ``$<env>`` if set, else ``<repo>/../shared/<relative>``."""
        explicit = os.environ.get(self.env)
        return Path(explicit) if explicit else SHARED / self.relative

    def absent_reason(self) -> str:
        how = f"${self.env}" if os.environ.get(self.env) else f"../shared/{self.relative} beside the checkout"
        return (
            f"{self.what} is absent at {self.path()} ({how}); these tests did not run. "
            f"Get it from {self.source} and put it at {SHARED / self.relative}, "
            f"or set {self.env}=/path/to/{Path(self.relative).name}"
        )


SRL_YANG = ThirdParty(
    what="Nokia's SR Linux 25.3.1 YANG models",
    relative="yang/srlinux-25.3.1",
    env="FABRIC_SRL_YANG",
    source=(
        "tag v25.3.1 of github.com/nokia/srlinux-yang-models (its srl_nokia/, ietf/, iana/ and openconfig/), "
        "with the 7220 IXR-D2L feature list of github.com/srl-labs/yang-browser "
        "(static/releases/v25.3.1/platform_features/7220-IXR-D2L.json, one feature a line) "
        "as platform-features/7220-IXR-D2L.txt"
    ),
)

CLAB_SCHEMA = ThirdParty(
    what="containerlab's topology schema",
    relative="schemas/clab.schema.json",
    env="FABRIC_CLAB_SCHEMA",
    source="containerlab's repository (github.com/srl-labs/containerlab, schemas/clab.schema.json)",
)


def require(item: ThirdParty) -> Path:
    """The file's (or directory's) path; skips the calling test (or fixture)
    if it is absent."""
    path = item.path()
    if not path.exists():
        pytest.skip(item.absent_reason())
    return path

"""The e2e tier (root): real namespaces, lldpd, FRR and the VLAN tagger.

Every host-global name of a run carries ``fdt<pid>-`` (namespaces via
``$FABRIC_LAB_PREFIX``; state directories under ``/tmp/fdt<pid>-*``, short
enough for unix socket paths), so a running ``make demo`` or a leftover
never collides with a run; leftovers of dead runs are swept first.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from labs.dataplane.names import ENV_PREFIX
from labs.dataplane.sweep import sweep_dead_runs
from labs.run.statefile import is_state_dir
from labs.run.teardown import teardown

PREFIX = f"fdt{os.getpid()}-"


@pytest.fixture(scope="session")
def e2e_root():
    sweep_dead_runs()
    old = os.environ.get(ENV_PREFIX)
    os.environ[ENV_PREFIX] = PREFIX
    root = Path(tempfile.mkdtemp(prefix=PREFIX, dir="/tmp"))
    root.chmod(0o711)  # FRR drops to user frr, which must reach its directory below
    try:
        yield root
    finally:
        if old is None:
            os.environ.pop(ENV_PREFIX, None)
        else:
            os.environ[ENV_PREFIX] = old
        for sdir in sorted(root.iterdir()):  # a lab whose test failed before its `down`
            if is_state_dir(sdir):
                teardown(sdir, grace=5.0)
        shutil.rmtree(root, ignore_errors=True)

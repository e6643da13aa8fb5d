"""The console scripts are installed and answer --help (CNI: VERSION)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def script(name: str) -> str:
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    assert found, f"{name} is not installed: pip install -e ."
    return found


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("fabricd", ["--listen", "gNMI"]),
        ("fabricctl", ["--server"]),
        ("fabric-lab", ["containerlab"]),
        ("fabric-cni", ["CNI_COMMAND"]),
    ],
)
def test_help(name, words):
    proc = subprocess.run([script(name), "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    for word in words:
        assert word in proc.stdout


def test_cni_version():
    env = dict(os.environ, CNI_COMMAND="VERSION")
    proc = subprocess.run(
        [script("fabric-cni")], input="", env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0
    out = json.loads(proc.stdout)
    assert out["cniVersion"] == "1.1.0"
    assert {"0.4.0", "1.0.0", "1.1.0"} <= set(out["supportedVersions"])

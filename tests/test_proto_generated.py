"""The committed generated code matches fabric.proto exactly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_generated_code_is_not_stale():
    proc = subprocess.run(
        [sys.executable, "scripts/genproto.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


def test_one_gnmi_proto_in_the_process():
    """pygnmi's stubs are the only gnmi.proto: our API and pygnmi load side by side."""
    from google.protobuf import descriptor_pool
    from pygnmi.spec.v080 import gnmi_pb2

    from proto.fabric.v1 import fabric_pb2  # noqa: F401

    pool = descriptor_pool.Default()
    assert pool.FindMessageTypeByName("gnmi.Notification") is gnmi_pb2.Notification.DESCRIPTOR
    assert pool.FindServiceByName("fabric.v1.Fabric").full_name == "fabric.v1.Fabric"

"""fabric-cni: a CNI plugin (spec 1.1.0) that attaches pods to fabric networks.

The runtime (Multus) runs it with CNI_COMMAND and friends in the environment
and the network configuration on stdin; it answers JSON on stdout. Errors are
CNI error objects with the spec's codes, never a traceback.
"""

from __future__ import annotations

import json
import os
import sys

SPEC_VERSION = "1.1.0"
SUPPORTED_VERSIONS = ("0.4.0", "1.0.0", "1.1.0")

USAGE = """\
fabric-cni: CNI plugin for fabricd (spec 1.1.0; accepts 0.4.0, 1.0.0, 1.1.0).

It is run by a container runtime or Multus, not by hand:
  CNI_COMMAND=VERSION fabric-cni            prints the supported versions
  CNI_COMMAND=ADD|DEL|CHECK|GC|STATUS ...   network configuration on stdin
"""


def error(code: int, msg: str, details: str = "") -> int:
    out = {"cniVersion": SPEC_VERSION, "code": code, "msg": msg}
    if details:
        out["details"] = details
    sys.stdout.write(json.dumps(out) + "\n")
    return 1


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if any(a in ("-h", "--help") for a in args):
        sys.stdout.write(USAGE)
        return 0
    command = os.environ.get("CNI_COMMAND", "")
    if command == "VERSION":
        sys.stdout.write(json.dumps({"cniVersion": SPEC_VERSION, "supportedVersions": list(SUPPORTED_VERSIONS)}) + "\n")
        return 0
    if not command:
        sys.stderr.write(USAGE)
        return error(4, "CNI_COMMAND is not set", "set CNI_COMMAND to VERSION, ADD, DEL, CHECK, GC or STATUS")
    return error(100, f"CNI_COMMAND {command} is not implemented yet")


if __name__ == "__main__":
    sys.exit(main())

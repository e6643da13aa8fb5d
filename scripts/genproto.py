"""Generate the Python code for the protos in PROTOS (the fabric.v1 API, the
emulator admin service fabriclab.v1).

    python scripts/genproto.py            # write the generated files in place
    python scripts/genproto.py --check    # exit 1 if the committed files are stale

The generated files are committed so that installing fabricd needs no protoc;
tests/test_proto_generated.py runs --check so they can never go stale. The
grpcio-tools version is pinned in pyproject.toml (test extra) because its
output depends on it.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTOS = ["proto/fabric/v1/fabric.proto", "proto/lab/v1/emulator.proto"]
SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")


def generate(out: Path) -> list[Path]:
    import grpc_tools
    from grpc_tools import protoc

    include = Path(grpc_tools.__file__).parent / "_proto"
    for proto in PROTOS:
        args = [
            "protoc",
            f"-I{ROOT}",
            f"-I{include}",
            f"--python_out={out}",
            f"--pyi_out={out}",
            f"--grpc_python_out={out}",
            str(ROOT / proto),
        ]
        if protoc.main(args) != 0:
            raise SystemExit(f"protoc failed for {proto}")
    return [Path(p[: -len(".proto")] + s) for p in PROTOS for s in SUFFIXES]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = generate(Path(tmp))
        stale = [f for f in files if not (ROOT / f).exists() or not filecmp.cmp(Path(tmp) / f, ROOT / f, shallow=False)]
        if args.check:
            for f in stale:
                print(f"stale generated file: {f} (run: python scripts/genproto.py)", file=sys.stderr)
            return 1 if stale else 0
        for f in files:
            shutil.copyfile(Path(tmp) / f, ROOT / f)
            print(f"wrote {f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

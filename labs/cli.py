"""fabric-lab: run containerlab topology files without Docker."""

from __future__ import annotations

import argparse
import sys

DESCRIPTION = """\
Run a containerlab topology file (labs/*.clab.yml) on this machine without
Docker: a gNMI switch emulator per switch, and with the Linux dataplane one
network namespace per node with lldpd, FRR and veth links.
"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="fabric-lab", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("up", help="start a lab (not yet implemented)")
    sub.add_parser("down", help="stop a lab and remove what it created (not yet implemented)")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    print(f"fabric-lab: {args.command}: not implemented yet", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())

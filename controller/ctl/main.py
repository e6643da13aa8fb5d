"""fabricctl: the operator CLI for fabricd."""

from __future__ import annotations

import argparse
import sys

from controller import __version__

DESCRIPTION = """\
Operate a fabricd controller over its fabric.v1 API: networks, NAD manifests,
attachments, switch sessions, the topology and the planned gNMI changes.
"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="fabricctl", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--server",
        default="unix:///run/fabricd/api.sock",
        help="controller address: unix:///path.sock or HOST:PORT (default %(default)s)",
    )
    p.add_argument("--version", action="version", version=f"fabricctl {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("health", help="ask the controller's grpc health service")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.command == "health":
        from controller.ctl.health import health

        return health(args.server)
    return 2


if __name__ == "__main__":
    sys.exit(main())

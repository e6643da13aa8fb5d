"""fabricd: the fabric controller daemon."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

from controller import __version__
from controller.api.listen import AddressError, parse_address
from controller.api.server import start_server
from controller.api.service import FabricService

log = logging.getLogger("fabricd")

DESCRIPTION = """\
fabricd keeps gNMI sessions to every switch of an EVPN/VXLAN fabric, learns
the cabling from LLDP, and configures the VLAN/VNI/EVPN objects that pod
attachments need on the leaves behind the node NICs. CNI plugins and
fabricctl talk to it over the fabric.v1 gRPC API.
"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="fabricd",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example: fabricd --listen unix:///run/fabricd/api.sock --insecure",
    )
    p.add_argument(
        "--listen",
        action="append",
        metavar="ADDR",
        default=[],
        help="API listener, repeatable: unix:///path.sock or HOST:PORT (default unix:///run/fabricd/api.sock)",
    )
    p.add_argument(
        "--insecure",
        action="store_true",
        help="serve plaintext without client certificates (development only; logged as a warning)",
    )
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.add_argument("--version", action="version", version=f"fabricd {__version__}")
    return p


async def serve(args: argparse.Namespace) -> int:
    listeners = [parse_address(a) for a in (args.listen or ["unix:///run/fabricd/api.sock"])]
    if not args.insecure:
        log.error("TLS listeners need the settings file (not yet available): pass --insecure for development")
        return 2
    log.warning("insecure API listener: no TLS, no client authentication (development only)")
    api = await start_server(FabricService(), listeners)
    await api.set_serving(True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("shutting down")
    await api.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        return asyncio.run(serve(args))
    except AddressError as e:
        print(f"fabricd: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())

"""fabricd: the fabric controller daemon."""

from __future__ import annotations

import argparse
import asyncio
import sys

from controller import __version__

DESCRIPTION = """\
fabricd keeps gNMI sessions to every switch of an EVPN/VXLAN fabric, learns
the cabling from LLDP or a static port map, and configures the VLAN/VNI/EVPN
objects that pod attachments need on the leaves behind the node NICs. CNI
plugins and fabricctl talk to it over the fabric.v1 gRPC API.

Settings: a YAML file (--config; see deploy/fabricd.example.yml and
docs/settings.md) with environment overrides (FABRICD_STORE_PATH,
FABRICD_API_LISTEN, ...). Unknown keys and variables are refused.
"""

EPILOG = """\
exit codes: 0 stopped cleanly, 1 fatal error (e.g. the store failed),
            2 bad settings or the store is in use by another fabricd
example: fabricd --config /etc/fabricd/fabricd.yml
"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="fabricd", description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--config", metavar="FILE", help="settings file (YAML; else $FABRICD_CONFIG)")
    p.add_argument(
        "--listen",
        action="append",
        metavar="ADDR",
        default=[],
        help="API listener, repeatable, overrides the settings: unix:///path.sock or HOST:PORT",
    )
    p.add_argument(
        "--insecure", action="store_true", help="plaintext API without client certificates (development only)"
    )
    p.add_argument("--store", metavar="PATH", help="SQLite store path (overrides the settings)")
    p.add_argument("--inventory", metavar="FILE", help="switch inventory (overrides the settings)")
    p.add_argument("--port-map", metavar="FILE", help="static port map (overrides the settings)")
    p.add_argument("--metrics-listen", metavar="HOST:PORT", help="metrics/health port (overrides the settings)")
    p.add_argument("--log-level", choices=["debug", "info", "warning", "error"], help="overrides the settings")
    p.add_argument("--log-format", choices=["text", "json"], help="overrides the settings")
    p.add_argument("--settings-schema", action="store_true", help="print the JSON Schema of the settings file and exit")
    p.add_argument(
        "--migrate-from-sqlite",
        metavar="PATH",
        help="copy the SQLite store PATH into the etcd store of the settings (empty, no fabricd running) and exit",
    )
    p.add_argument("--version", action="version", version=f"fabricd {__version__}")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import os

    # grpc's C core writes its own lines to stderr (e.g. every failed TLS
    # handshake); they would break the one-JSON-object-per-line log. The
    # daemon logs what matters itself; GRPC_VERBOSITY=ERROR brings them back.
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")

    if args.settings_schema:
        import json

        from controller.settings.reference import schema

        print(json.dumps(schema(), indent=2, sort_keys=True))
        return 0
    from controller.log import configure
    from controller.settings.load import load_settings
    from models.errors import ValidationError

    env = dict(os.environ)
    overrides = {
        "FABRICD_API_LISTEN": ",".join(args.listen) if args.listen else None,
        "FABRICD_API_INSECURE": "true" if args.insecure else None,
        "FABRICD_STORE_PATH": args.store,
        "FABRICD_INVENTORY": args.inventory,
        "FABRICD_PORT_MAP": args.port_map,
        "FABRICD_METRICS_LISTEN": args.metrics_listen,
        "FABRICD_LOG_LEVEL": args.log_level,
        "FABRICD_LOG_FORMAT": args.log_format,
    }
    env.update({k: v for k, v in overrides.items() if v is not None})
    try:
        settings = load_settings(args.config or env.get("FABRICD_CONFIG"), env)
    except ValidationError as e:
        print("fabricd: bad settings:", file=sys.stderr)
        for p in e.problems:
            print(f"  {p}", file=sys.stderr)
        return 2
    configure(settings.log.level, settings.log.format)
    from controller.api.front import FrontEndError
    from controller.api.tlsfiles import TlsFilesError
    from controller.daemon import Daemon
    from controller.store import StoreError, StoreLockedError

    if args.migrate_from_sqlite:
        from pathlib import Path

        from controller.ha.migrate import migrate_sqlite

        try:
            print(asyncio.run(migrate_sqlite(settings, Path(args.migrate_from_sqlite))))
        except StoreError as e:
            print(f"fabricd: {e}", file=sys.stderr)
            return 1
        return 0

    try:
        return asyncio.run(Daemon(settings).run())
    except StoreLockedError as e:
        print(f"fabricd: {e}", file=sys.stderr)
        return 2
    except (StoreError, ValidationError, FrontEndError, TlsFilesError) as e:
        print(f"fabricd: {e}", file=sys.stderr)
        return 2 if isinstance(e, ValidationError | TlsFilesError) else 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""fabric-cni: a CNI plugin (spec 1.1.0) that attaches pods to fabric networks.

The runtime (Multus) runs it with CNI_COMMAND and friends in the environment
and the network configuration on stdin; it answers JSON on stdout. Errors are
CNI error objects with the spec's codes (cni.plugin.errors), never a traceback.
Start-up is lean: this module imports only the standard library's basics;
grpc loads when a command first talks to fabricd (cni/README.md, "Start-up").
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from typing import Any

from cni.plugin.errors import INTERNAL, CniError
from cni.plugin.versions import ADVERTISED, SPEC_VERSION

SUPPORTED_VERSIONS = ADVERTISED

USAGE = """\
fabric-cni: CNI plugin for fabricd (spec 1.1.0; accepts 0.1.0 to 1.1.0).

It is run by a container runtime or Multus, not by hand:
  CNI_COMMAND=VERSION fabric-cni            prints the supported versions
  CNI_COMMAND=ADD|DEL|CHECK|GC|STATUS ...   network configuration on stdin
  fabric-cni install --help                 the node agent's installer (cni/install.py)
The node's settings (controller, TLS files, node name, state directory,
VLAN backend, default uplink) come from /etc/fabric-cni/node.json
($FABRIC_CNI_NODE_CONFIG), never from the network configuration.
Configuration, node file, environment, error codes, state files: cni/README.md.
"""


def _emit(doc: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(doc) + "\n")
    sys.stdout.flush()


def error(code: int, msg: str, details: str = "") -> int:
    _emit(CniError(code, msg, details).to_json(SPEC_VERSION))
    return 1


def prepare(environ: dict[str, str], stdin: bytes, timings: dict[str, float]) -> tuple[dict[str, object] | None, Any]:
    """(VERSION's answer, None) or (None, the Run of another command): the
    network's config from stdin, then the node's settings. Raises CniError."""
    from cni.plugin.config import parse_env, parse_netconf

    env = parse_env(environ)
    if env.command == "VERSION":
        return {"cniVersion": SPEC_VERSION, "supportedVersions": list(SUPPORTED_VERSIONS)}, None
    conf = parse_netconf(stdin, env)
    from cni.plugin import nodeconf
    from cni.plugin.context import Run

    try:
        node_conf = nodeconf.load(environ)
    except CniError as e:
        e.cni_version = conf.cni_version
        raise
    return None, Run.make(env, conf, node_conf, timings)


def dispatch(r: Any) -> dict[str, object] | None:
    """Run the command; ADD's result (the others answer nothing). Raises CniError."""
    command = r.env.command
    from cni.plugin import node, pod

    if command == "ADD":
        return pod.add(r)
    if command == "DEL":
        pod.delete(r)
    elif command == "CHECK":
        pod.check(r)
    elif command == "GC":
        node.gc(r)
    else:
        node.status(r)
    return None


def _log(r: Any, outcome: dict[str, object], timings: dict[str, float], t0: float) -> None:
    """One line in the node's log.jsonl (never fails the run)."""
    if r is None:
        return
    env = r.env
    entry: dict[str, object] = {
        "time": round(t0, 3),
        "command": env.command,
        "network": r.conf.name,
        "container": env.container_id,
        "ifname": env.ifname,
        "pod": f"{env.args.get('K8S_POD_NAMESPACE', '')}/{env.args.get('K8S_POD_NAME', '')}",
        "ms": round((time.time() - t0) * 1000, 1),
        **outcome,
    }
    if r.notes:
        entry["notes"] = r.notes
    if timings:
        entry["at_ms"] = {k: round((v - t0) * 1000, 1) for k, v in timings.items()}
    r.store.log(entry)


def main(argv: list[str] | None = None) -> int:
    t0 = time.time()
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["install"]:  # the node agent's installer (cni/install.py), not a CNI command
        from cni.install import main as install

        return install(args[1:])
    if any(a in ("-h", "--help") for a in args):
        sys.stdout.write(USAGE)
        return 0
    timings: dict[str, float] = {}
    r: Any = None
    try:
        try:
            if not os.environ.get("CNI_COMMAND"):
                sys.stderr.write(USAGE)
            stdin = b"" if os.environ.get("CNI_COMMAND") == "VERSION" else sys.stdin.buffer.read()
            out, r = prepare(dict(os.environ), stdin, timings)
            if r is not None:
                out = dispatch(r)
        finally:
            if r is not None:
                r.close()
    except CniError as e:
        _emit(e.to_json(e.cni_version or (r.conf.cni_version if r is not None else SPEC_VERSION)))
        _safe_log(r, {"error": e.code, "msg": e.msg}, timings, t0)
        return 1
    except BaseException as e:  # noqa: BLE001  # a bug, or ^C: still a CNI error, never a traceback
        what = "interrupted" if isinstance(e, KeyboardInterrupt) else f"{type(e).__name__}: {e}"
        _safe_log(r, {"error": INTERNAL, "msg": what}, timings, t0)
        return error(
            INTERNAL,
            f"fabric-cni failed unexpectedly ({what}); this is a bug: please report it with the node's "
            "fabric-cni log (<stateDir>/<node>/log.jsonl)",
        )
    if out is not None:
        _emit(out)
    _safe_log(r, {"ok": True}, timings, t0)
    return 0


def _safe_log(r: Any, outcome: dict[str, object], timings: dict[str, float], t0: float) -> None:
    with contextlib.suppress(Exception):  # the log is best effort
        _log(r, outcome, timings, t0)


if __name__ == "__main__":
    sys.exit(main())

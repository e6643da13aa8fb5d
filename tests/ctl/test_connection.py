"""Reaching fabricd: addresses, TLS, identities, health, and what fabricctl
says (and exits with) when something is wrong."""

from __future__ import annotations

import os
import subprocess

import pytest

from controller.ctl import errors
from tests.ctl.run import CLEAN_ENV, ctl, ctl_proc, script
from tests.seedlab import closed_port


async def test_no_socket_is_unreachable_exit_3(short_tmp):
    sock = f"unix://{short_tmp}/missing.sock"
    r = await ctl(sock, "network", "list")
    assert r.code == errors.UNREACHABLE
    assert r.err == f"fabricctl: cannot reach fabricd at {sock}: no socket there; is it running? (UNAVAILABLE)\n"


def test_default_server_is_the_unix_socket():
    if os.path.exists("/run/fabricd/api.sock"):
        pytest.skip("a fabricd listens on /run/fabricd/api.sock on this machine")
    r = subprocess.run([script(), "health"], capture_output=True, text=True, env=CLEAN_ENV, timeout=60, check=False)
    assert r.returncode == errors.UNREACHABLE
    assert "cannot reach fabricd at unix:///run/fabricd/api.sock: no socket there; is it running?" in r.stderr


async def test_refused_tcp_port_exit_3():
    port = closed_port()
    r = await ctl(f"127.0.0.1:{port}", "switch", "list")
    assert r.code == errors.UNREACHABLE
    assert f"cannot reach fabricd at 127.0.0.1:{port}: connection refused; is it running?" in r.err


async def test_server_from_the_environment(api):
    r = await ctl_proc("-o", "json", "health", env={"FABRICCTL_SERVER": api.server})
    assert r.code == 0, r.err
    assert r.json() == {"server": api.server, "service": "", "status": "SERVING"}
    # a flag wins over the environment
    r = await ctl_proc("--server", "unix:///nonexistent/x.sock", "health", env={"FABRICCTL_SERVER": api.server})
    assert r.code == errors.UNREACHABLE


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--server", "localhost", "health"), "--server: 'localhost': expected HOST:PORT"),
        (("--server", "unix:relative.sock", "health"), "must be absolute"),
        (("--timeout", "0", "health"), "--timeout: 0 must be more than 0 seconds"),
        (("health", "--ca", "/nonexistent/ca.pem"), "--ca /nonexistent/ca.pem: cannot be read"),
        (("bogus",), "invalid choice: 'bogus'"),
        (("network",), "required: ACTION"),
        ((), "usage: fabricctl"),
    ],
)
async def test_usage_errors_exit_2(args, needle):
    r = await ctl_proc(*args)
    assert r.code == errors.USAGE
    assert needle in r.err


async def test_health_follows_the_server(api):
    r = await api.ctl("health")
    assert (r.code, r.out) == (0, "SERVING\n")
    await api.stack.api.set_serving(False)
    r = await api.ctl("health")
    assert (r.code, r.out) == (errors.FAILED, "NOT_SERVING\n")


async def test_help_documents_commands_and_exit_codes():
    r = await ctl_proc("--help")
    assert r.code == 0
    for word in ("network", "nad", "attachment", "switch", "topology", "plan", "events", "health", "completion"):
        assert f"    {word}" in r.out
    for line in ("0    done", "3    fabricd cannot be reached", "4    not found", "5    not allowed"):
        assert line in r.out
    r = await ctl_proc("--version")
    assert r.code == 0 and r.out.startswith("fabricctl ")


# ------------------------------------------------------------- mutual TLS


async def test_operator_certificate_may_do_everything(mtls):
    r = await mtls.ctl("network", "create", "blue", "--vni", "1111")
    assert r.code == 0, r.err
    for args in (("switch", "list"), ("topology",), ("plan",), ("network", "list"), ("health",)):
        r = await mtls.ctl(*args)
        assert r.code == 0, (args, r.err)


async def test_node_identity_is_denied_exit_5(mtls, pki):
    node = pki.client("server1")
    r = await mtls.ctl("network", "create", "blue", "--vni", "1111", tls=node)
    assert r.code == errors.DENIED
    assert "permission denied: CreateNetwork needs an operator identity; 'server1' is a node (PERMISSION_DENIED)" in (
        r.err
    )
    assert "api.operators" in r.err
    for args, method in ((("switch", "list"), "ListSwitches"), (("topology",), "GetTopology"), (("plan",), "Plan")):
        r = await mtls.ctl(*args, tls=node)
        assert r.code == errors.DENIED and f"{method} needs an operator identity" in r.err
    r = await mtls.ctl("events", tls=node)
    assert r.code == errors.DENIED and "WatchEvents needs an operator identity" in r.err
    # what a node may do: read its own attachments (none)
    r = await mtls.ctl("attachment", "list", tls=node)
    assert (r.code, r.out) == (0, "no attachments\n")


async def test_tls_problems_say_what_to_fix(mtls, pki):
    r = await mtls.ctl("health", tls=())
    assert r.code == errors.UNREACHABLE and "it probably serves TLS, pass --ca, --cert and --key" in r.err
    r = await mtls.ctl("health", tls=("--ca", str(pki.ca)))
    assert r.code == errors.UNREACHABLE and "it needs a client certificate (--cert/--key)" in r.err
    r = await mtls.ctl("health", tls=pki.client("rogue"))
    assert r.code == errors.UNREACHABLE
    r = await mtls.ctl("health", tls=("--ca", str(pki.dir / "other-ca.crt"), *pki.client("fabricctl")[2:]))
    assert r.code == errors.UNREACHABLE and "is fabricd's certificate signed by --ca?" in r.err
    r = await mtls.ctl("health", tls=("--ca", str(pki.ca), "--cert", str(pki.dir / "fabricctl.crt")))
    assert r.code == errors.USAGE and "--cert and --key go together" in r.err


async def test_tls_over_the_unix_socket_needs_the_server_name(mtls, pki):
    sock = str(mtls.stack.api.bound[1])
    assert sock.startswith("unix://")
    r = await ctl(sock, "health", tls=pki.client("fabricctl"))
    assert r.code == errors.UNREACHABLE and "pass --server-name" in r.err
    r = await ctl(sock, "--server-name", "fabricd", "health", tls=pki.client("fabricctl"))
    assert (r.code, r.out) == (0, "SERVING\n")
    r = await ctl_proc(
        "health",
        env={
            "FABRICCTL_SERVER": sock,
            "FABRICCTL_SERVER_NAME": "fabricd",
            "FABRICCTL_CA": str(pki.ca),
            "FABRICCTL_CERT": str(pki.dir / "fabricctl.crt"),
            "FABRICCTL_KEY": str(pki.dir / "fabricctl.key"),
        },
    )
    assert (r.code, r.out) == (0, "SERVING\n"), r.err

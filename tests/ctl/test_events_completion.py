"""fabricctl events (follows WatchEvents until Ctrl-C) and shell completion."""

from __future__ import annotations

import asyncio
import datetime
import json
import shutil
import signal
import subprocess

import pytest

from controller.ctl import errors
from tests.controller.fabric import eventually
from tests.ctl.run import CLEAN_ENV, ctl_proc, script


async def test_events_follow_until_ctrl_c(api):
    proc = await asyncio.create_subprocess_exec(
        script(),
        "--server",
        api.server,
        "events",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=CLEAN_ENV,
    )
    try:
        await eventually(lambda: api.stack.service.events.subscribers == 1, what="fabricctl subscribed")
        assert (await api.ctl("network", "create", "blue", "--vni", "1111")).code == 0
        assert (await api.ctl("network", "delete", "blue")).code == 0
        assert proc.stdout is not None
        first = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        second = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        assert "network    default/blue  created  evi=1 vni=1111" in first
        stamp = datetime.datetime.fromisoformat(first.split()[0].replace("Z", "+00:00"))  # RFC 3339, UTC
        assert stamp.utcoffset() == datetime.timedelta(0)
        assert "network    default/blue  deleted  vni=1111" in second
        proc.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(proc.wait(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert code == 0  # Ctrl-C is how `events` ends
    await eventually(lambda: api.stack.service.events.subscribers == 0, what="stream closed")


async def test_events_json_lines_with_kind_filter_and_count(api):
    # a subprocess: in-process runs redirect the one sys.stdout, so two cannot overlap
    task = asyncio.create_task(
        ctl_proc("--server", api.server, "-o", "json", "events", "--kind", "network", "--count", "2")
    )
    await eventually(lambda: api.stack.service.events.subscribers == 1, what="subscribed")
    for name, vni in (("blue", "1111"), ("green", "2222")):
        assert (await api.ctl("network", "create", name, "--vni", vni)).code == 0
    r = await asyncio.wait_for(task, 30)
    assert r.code == 0, r.err
    events = [json.loads(line) for line in r.out.splitlines()]
    assert [(e["kind"], e["subject"], e["message"]) for e in events] == [
        ("network", "default/blue", "created"),
        ("network", "default/green", "created"),
    ]
    assert events[0]["attributes"] == {"evi": "1", "vni": "1111"} and events[1]["seq"] > events[0]["seq"]


async def test_events_when_fabricd_goes_away(short_tmp):
    r = await ctl_proc("--server", f"unix://{short_tmp}/none.sock", "events")
    assert r.code == errors.UNREACHABLE and "no socket there" in r.err


def _complete(script_text: str, line: str) -> list[str]:
    """Ask the generated bash completion what it offers for ``line``."""
    program = (
        f"{script_text}\n"
        f'read -ra COMP_WORDS <<< "{line}"\n'
        + ('COMP_WORDS+=("")\n' if line.endswith(" ") else "")
        + "COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
        "_fabricctl\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    proc = subprocess.run(["bash", "-c", program], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return sorted(w for w in proc.stdout.split("\n") if w)


async def test_bash_completion_follows_the_parser(short_tmp):
    r = await ctl_proc("completion", "bash")
    assert r.code == 0 and "complete -F _fabricctl fabricctl" in r.out
    s = r.out
    commands = "network nad attachment switch topology plan audit events health status completion"
    assert _complete(s, "fabricctl ") == sorted(commands.split())
    assert _complete(s, "fabricctl net") == ["network"]
    assert _complete(s, "fabricctl network ") == ["create", "delete", "get", "list"]
    assert _complete(s, "fabricctl --server unix:///x.sock attachment ") == ["detach", "get", "list"]
    assert "--ignore-not-found" in _complete(s, "fabricctl network delete blue --")
    assert "--vni" in _complete(s, "fabricctl -o json network create blue --")
    assert _complete(s, "fabricctl -o ") == ["dot", "json", "png", "svg", "table", "yaml"]
    assert _complete(s, "fabricctl topology -o s") == ["svg"]
    assert _complete(s, "fabricctl completion ") == ["bash", "zsh"]
    (short_tmp / "ca-file.pem").write_text("x")
    assert _complete(s, f"fabricctl --ca {short_tmp}/ca-") == [f"{short_tmp}/ca-file.pem"]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed (scripts/apt-packages.txt)")
def test_zsh_completion_loads_in_zsh():
    r = subprocess.run([script(), "completion", "zsh"], capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 0 and r.stdout.startswith("#compdef fabricctl")
    program = r.stdout + "\nprint -r -- ${_comps[fabricctl]}\n"
    proc = subprocess.run(["zsh", "-f", "-c", program], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "_bash_complete -F _fabricctl"

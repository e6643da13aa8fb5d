"""A delegate's VERSION answer is asked once per binary and kept in the
node's state directory; a replaced binary is asked again."""

from __future__ import annotations

import os

from cni.plugin import delegate

FAKE = """#!/bin/sh
echo x >> "{calls}"
echo '{{"cniVersion":"1.0.0","supportedVersions":[{versions}]}}'
"""


def _plugin(tmp_path, versions: str) -> str:
    exe = tmp_path / "bin" / "macvlan"
    exe.parent.mkdir(exist_ok=True)
    exe.write_text(FAKE.format(calls=tmp_path / "calls", versions=versions))
    exe.chmod(0o755)
    return str(exe)


def _calls(tmp_path) -> int:
    return len((tmp_path / "calls").read_text().splitlines())


def test_asked_once_then_from_the_state_directory(tmp_path):
    exe = _plugin(tmp_path, '"0.4.0","1.0.0"')
    state = str(tmp_path / "state")
    assert delegate.version_for(exe, state) == "1.0.0"
    assert delegate.version_for(exe, state) == "1.0.0"
    assert _calls(tmp_path) == 1
    assert os.path.exists(os.path.join(state, delegate.VERSIONS_CACHE))
    assert delegate.version_for(exe) == "1.0.0"  # no cache directory: asked every time
    assert _calls(tmp_path) == 2


def test_a_replaced_binary_is_asked_again(tmp_path):
    state = str(tmp_path / "state")
    exe = _plugin(tmp_path, '"1.0.0"')
    assert delegate.version_for(exe, state) == "1.0.0"
    os.unlink(exe)
    exe = _plugin(tmp_path, '"0.3.1","0.4.0"')  # an older macvlan put in its place
    assert delegate.version_for(exe, state) == "0.4.0"
    assert _calls(tmp_path) == 2


def test_an_unreadable_cache_is_not_trusted(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    (state / delegate.VERSIONS_CACHE).write_text("{not json")
    exe = _plugin(tmp_path, '"1.0.0"')
    assert delegate.version_for(exe, str(state)) == "1.0.0"
    assert delegate.version_for(exe, str(state)) == "1.0.0"
    assert _calls(tmp_path) == 1

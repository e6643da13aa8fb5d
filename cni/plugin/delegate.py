"""Running a delegate CNI plugin (macvlan, which runs its IPAM plugin) the
way a runtime would: found in ``CNI_PATH``, config on stdin, ``CNI_*`` in
the environment, the highest spec version both sides speak.

A delegate's failure becomes CniError 105 carrying its own code and message.

A delegate's VERSION answer is kept in the node's state directory
(``delegate-versions.json``), keyed by the executable's path, inode, size
and modification time: every ADD and DEL needs it before anything else, and
running the plugin once more each time cost 10-20 ms; a replaced binary has
a new key and is asked again.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from typing import Any

from cni.plugin import versions
from cni.plugin.errors import DELEGATE_FAILED, CniError

TIMEOUT_S = 30.0


def find(plugin: str, path: Sequence[str]) -> str:
    """The executable ``plugin`` in the CNI_PATH directories."""
    for d in path:
        exe = os.path.join(d, plugin)
        if os.path.isfile(exe) and os.access(exe, os.X_OK):
            return exe
    where = ":".join(path) or "(empty)"
    raise CniError(
        DELEGATE_FAILED,
        f"the {plugin} plugin is not in CNI_PATH {where}: install containernetworking-plugins "
        f"(Debian: apt-get install containernetworking-plugins, /usr/lib/cni) and add its directory to CNI_PATH",
    )


def _env(
    command: str, *, container_id: str, netns: str, ifname: str, cni_args: str, path: Sequence[str]
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CNI_")}
    if cni_args and "IgnoreUnknown=" not in cni_args:
        cni_args = "IgnoreUnknown=1;" + cni_args  # plugins refuse unknown CNI_ARGS keys without it
    env.update(
        CNI_COMMAND=command,
        CNI_CONTAINERID=container_id,
        CNI_NETNS=netns,
        CNI_IFNAME=ifname,
        CNI_ARGS=cni_args,
        CNI_PATH=":".join(path),
    )
    return env


def _run(exe: str, env: Mapping[str, str], stdin: bytes, what: str, timeout: float) -> tuple[int, bytes, bytes]:
    try:
        p = subprocess.run([exe], input=stdin, env=env, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise CniError(DELEGATE_FAILED, f"{what}: no answer within {timeout:.0f} s") from None
    except OSError as e:
        raise CniError(DELEGATE_FAILED, f"{what}: cannot run {exe}: {e.strerror}") from None
    return p.returncode, p.stdout, p.stderr


def supported_versions(exe: str, timeout: float = TIMEOUT_S) -> list[str]:
    name = os.path.basename(exe)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CNI_")}
    env["CNI_COMMAND"] = "VERSION"
    code, out, err = _run(exe, env, b'{"cniVersion":"1.0.0"}', f"{name} VERSION", timeout)
    try:
        found = json.loads(out).get("supportedVersions") if code == 0 else None
    except (ValueError, AttributeError):
        found = None
    if not isinstance(found, list):
        tail = (err or out).decode(errors="replace").strip()[-300:]
        raise CniError(DELEGATE_FAILED, f"{name} VERSION: not a CNI plugin answer (exit {code}): {tail}")
    return [str(v) for v in found]


VERSIONS_CACHE = "delegate-versions.json"


def _cache_key(exe: str) -> str | None:
    try:
        st = os.stat(exe)
    except OSError:
        return None
    return f"{exe}:{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"


def cached_versions(exe: str, cache_dir: str | None) -> list[str]:
    """``supported_versions``, answered from the cache when the same binary
    was asked before (a cache that cannot be read or written is not used)."""
    key = _cache_key(exe) if cache_dir else None
    if key is None or cache_dir is None:
        return supported_versions(exe)
    path = os.path.join(cache_dir, VERSIONS_CACHE)
    try:
        with open(path, encoding="utf-8") as f:
            known = json.load(f)
        found = known.get(key) if isinstance(known, dict) else None
        if isinstance(found, list) and all(isinstance(v, str) for v in found):
            return found
    except (OSError, ValueError):
        known = {}
    theirs = supported_versions(exe)
    known = {k: v for k, v in known.items() if not k.startswith(exe + ":")} if isinstance(known, dict) else {}
    known[key] = theirs
    tmp = f"{path}.{os.getpid()}"
    try:
        os.makedirs(cache_dir, exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(known, f)
        os.replace(tmp, path)  # atomic: a concurrent plugin reads the old or the new file
    except OSError:
        pass
    return theirs


def version_for(exe: str, cache_dir: str | None = None) -> str:
    """The version to speak with the plugin ``exe`` (its VERSION answer
    kept in ``cache_dir``, when given)."""
    theirs = cached_versions(exe, cache_dir)
    chosen = versions.choose_delegate_version(theirs)
    if chosen is None:
        raise CniError(
            DELEGATE_FAILED,
            f"{os.path.basename(exe)} speaks CNI {', '.join(theirs)}, none of {', '.join(versions.SUPPORTED)}",
        )
    return chosen


def invoke(
    exe: str,
    command: str,
    conf: Mapping[str, Any],
    *,
    container_id: str,
    netns: str,
    ifname: str,
    cni_args: str,
    path: Sequence[str],
    timeout: float = TIMEOUT_S,
) -> dict[str, Any] | None:
    """Run ``command`` (ADD, DEL, CHECK) of the plugin; its result (ADD) or None."""
    name = os.path.basename(exe)
    what = f"{name} {command}"
    env = _env(command, container_id=container_id, netns=netns, ifname=ifname, cni_args=cni_args, path=path)
    code, out, err = _run(exe, env, json.dumps(conf).encode(), what, timeout)
    text = out.decode(errors="replace").strip()
    if code != 0:
        try:
            doc = json.loads(text)
            msg = f"{doc.get('msg') or 'failed'}" + (f" ({doc['details']})" if doc.get("details") else "")
            theirs = doc.get("code")
        except (ValueError, AttributeError):
            msg = (err.decode(errors="replace").strip() or text or "no message")[-500:]
            theirs = None
        raise CniError(DELEGATE_FAILED, f"{what}: {msg}" + (f" (its code {theirs})" if theirs else ""))
    if command != "ADD":
        return None
    try:
        result = json.loads(text)
    except ValueError:
        raise CniError(DELEGATE_FAILED, f"{what}: answered something that is not JSON: {text[:200]!r}") from None
    if not isinstance(result, dict):
        raise CniError(DELEGATE_FAILED, f"{what}: answered {text[:200]!r}, not a result object")
    return versions.normalize(result)

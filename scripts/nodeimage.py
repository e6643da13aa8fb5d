#!/usr/bin/env python3
"""What a Kubernetes node gets, built outside git (make plugin, make noderoot).

    scripts/nodeimage.py plugin         fabric-cni as a self-contained directory (PyInstaller --onedir)
    scripts/nodeimage.py root           a minimal Debian root (debootstrap --variant=minbase) to run it in
    scripts/nodeimage.py path plugin|root
    scripts/nodeimage.py glibc DIR      the newest GLIBC_ symbol version any ELF file under DIR needs

The plugin directory is keyed by a hash of what goes into it (cni/, proto/,
pyproject.toml, this script, the Python and PyInstaller versions), so a
change rebuilds it and an unchanged tree reuses it. The root is keyed by the
Debian suite and mirror this machine's apt uses (/etc/apt/sources*): the
chroot test runs the plugin where nothing else is installed. Both go to
``$FABRIC_BUILD_CACHE`` (default ``~/.cache/fabricd/build``), built into a
``.partial`` directory and renamed, so an interrupted build is never used.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_INPUTS = ("cni", "proto", "pyproject.toml", "scripts/nodeimage.py")


def cache() -> Path:
    if os.environ.get("FABRIC_BUILD_CACHE"):
        return Path(os.environ["FABRIC_BUILD_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fabricd" / "build"


#: what the plugin imports besides the standard library and the repository (cni/README.md): none since
#: its gRPC client is cni.wire. PyInstaller runs from a venv of its own (the project's venv holds packages
#: PyInstaller refuses, such as enum34, and much the plugin never loads); a distribution named here would
#: be bundled in the version the project's venv has
PLUGIN_DISTRIBUTIONS: tuple[str, ...] = ()
PYINSTALLER = "pyinstaller==6.22.3"


def _project_python() -> Path:
    venv = ROOT / ".venv" / "bin" / "python"
    return venv if venv.exists() else Path(sys.executable)


def _requirements() -> list[str]:
    code = "import importlib.metadata as m, sys; print(' '.join(f'{d}=={m.version(d)}' for d in sys.argv[1:]))"
    out = subprocess.run([str(_project_python()), "-c", code, *PLUGIN_DISTRIBUTIONS],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    return [*out.split(), PYINSTALLER]


def _python() -> Path:
    """The build venv's Python (created on first use, keyed by what it holds)."""
    reqs = _requirements()
    key = hashlib.sha256((sys.version + " ".join(reqs)).encode()).hexdigest()[:12]
    venv = cache() / f"pyinstaller-venv-{key}"
    if not (venv / "bin" / "python").exists():
        tmp = venv.with_name(venv.name + ".partial")
        shutil.rmtree(tmp, ignore_errors=True)
        base = subprocess.run([str(_project_python()), "-c", "import sys; print(sys._base_executable)"],
                              capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
        subprocess.run([base, "-m", "venv", str(tmp)], check=True)
        subprocess.run([str(tmp / "bin" / "pip"), "install", "-q", *reqs], check=True)
        tmp.rename(venv)
        # venvs record their path in scripts, not in bin/python: the rename keeps python usable
    return venv / "bin" / "python"


def plugin_key() -> str:
    h = hashlib.sha256()
    for name in PLUGIN_INPUTS:
        p = ROOT / name
        files = sorted(f for f in p.rglob("*") if f.is_file() and "__pycache__" not in f.parts) if p.is_dir() else [p]
        for f in files:
            h.update(str(f.relative_to(ROOT)).encode() + b"\0" + f.read_bytes() + b"\0")
    versions = subprocess.run(
        [str(_python()), "-c", "import sys, PyInstaller; print(sys.version, PyInstaller.__version__)"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    h.update(versions.encode())
    return h.hexdigest()[:12]


def plugin_dir() -> Path:
    """The directory holding the ``fabric-cni`` executable and its ``_internal``."""
    return cache() / f"fabric-cni-{plugin_key()}" / "fabric-cni"


def apt_source() -> tuple[str, str]:
    """(suite, mirror) of the first Debian source this machine's apt uses."""
    texts = [p.read_text() for p in sorted(Path("/etc/apt").glob("sources.list*")) if p.is_file()]
    texts += [p.read_text() for p in sorted(Path("/etc/apt/sources.list.d").glob("*")) if p.is_file()]
    for text in texts:
        uri = re.search(r"^URIs:\s*(\S+)", text, re.M)
        suites = re.search(r"^Suites:\s*(\S+)", text, re.M)
        if uri and suites and "security" not in uri.group(1):
            return suites.group(1), uri.group(1)
        line = re.search(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+(\S+)", text, re.M)
        if line and "security" not in line.group(1):
            return line.group(2), line.group(1)
    return "bookworm", "http://deb.debian.org/debian"


def root_dir() -> Path:
    suite, _ = apt_source()
    return cache() / f"debian-{suite}-minbase"


def _atomic(out: Path, build: object) -> float:
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    t0 = time.monotonic()
    build(tmp)  # type: ignore[operator]
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return time.monotonic() - t0


#: PyInstaller's spec for the plugin: ``--onedir`` (a directory, no unpacking at each start) and
#: ``noarchive`` (modules as .pyc files the interpreter's own importer reads, not a compressed archive read
#: by PyInstaller's importer in Python: ~20 ms of every start). Without the runtime hook PyInstaller adds
#: for ``inspect``: it imports inspect and zipfile (ast, dis, tokenize, shutil, bz2, lzma, pathlib, urllib,
#: ipaddress...) before the plugin's first line, ~30 ms of every start (bench cni-bundle), to fix
#: ``inspect.getsourcefile`` for source the bundle does not ship anyway.
SPEC = """\
a = Analysis([{entry!r}], pathex=[{root!r}], noarchive=True)
a.scripts = [s for s in a.scripts if s[0] != "pyi_rth_inspect"]
exe = EXE(PYZ(a.pure), a.scripts, [], exclude_binaries=True, name="fabric-cni", console=True)
coll = COLLECT(exe, a.binaries, a.datas, name="fabric-cni")
"""


def build_plugin() -> Path:
    out = plugin_dir().parent
    if (out / "fabric-cni" / "fabric-cni").exists():
        return plugin_dir()

    def run(tmp: Path) -> None:
        tmp.mkdir(parents=True)
        (tmp / "fabric_cni_entry.py").write_text("import sys\nfrom cni.plugin.main import main\nsys.exit(main())\n")
        (tmp / "fabric-cni.spec").write_text(SPEC.format(entry=str(tmp / "fabric_cni_entry.py"), root=str(ROOT)))
        subprocess.run(
            [str(_python()), "-m", "PyInstaller", "--noconfirm", "--log-level=WARN", "--distpath", str(tmp),
             "--workpath", str(tmp / "work"), str(tmp / "fabric-cni.spec")],
            cwd=ROOT, check=True,
        )  # fmt: skip
        shutil.rmtree(tmp / "work")
        for f in ("fabric-cni.spec", "fabric_cni_entry.py"):
            (tmp / f).unlink()

    print("nodeimage.py: building fabric-cni with PyInstaller (directory mode)", flush=True)
    took = _atomic(out, run)
    for old in cache().glob("fabric-cni-*"):  # earlier builds: one bundle is kept, the current
        if old != out:
            shutil.rmtree(old, ignore_errors=True)
    print(f"nodeimage.py: fabric-cni built in {took:.0f} s: {plugin_dir()}")
    return plugin_dir()


def build_root() -> Path:
    out = root_dir()
    if (out / "bin" / "sh").exists():
        return out
    if os.geteuid() != 0:
        raise SystemExit("nodeimage.py: debootstrap needs root")
    if not shutil.which("debootstrap"):
        raise SystemExit("nodeimage.py: debootstrap is not installed (scripts/apt-packages.txt lists it)")
    suite, mirror = apt_source()

    def run(tmp: Path) -> None:
        subprocess.run(["debootstrap", "--variant=minbase", suite, str(tmp), mirror], check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        # nothing of the root is needed but its files: no apt caches
        shutil.rmtree(tmp / "var" / "cache" / "apt" / "archives", ignore_errors=True)

    print(f"nodeimage.py: debootstrap --variant=minbase {suite} {mirror}", flush=True)
    took = _atomic(out, run)
    print(f"nodeimage.py: root built in {took:.0f} s: {out}")
    return out


def glibc_floor(d: Path) -> str:
    """The newest ``GLIBC_x.y`` version any ELF file under ``d`` requires (objdump -T)."""
    found: set[tuple[int, ...]] = set()
    for f in d.rglob("*"):
        if not f.is_file() or f.is_symlink():
            continue
        with f.open("rb") as fh:
            if fh.read(4) != b"\x7fELF":
                continue
        out = subprocess.run(["objdump", "-T", str(f)], capture_output=True, text=True, check=False).stdout
        found |= {tuple(int(x) for x in v.split(".")) for v in re.findall(r"GLIBC_(\d+(?:\.\d+)+)", out)}
    return "GLIBC_" + ".".join(map(str, max(found))) if found else "none"


def main(argv: list[str]) -> int:
    if argv[:1] == ["plugin"]:
        build_plugin()
    elif argv[:1] == ["root"]:
        build_root()
    elif argv[:1] == ["path"] and argv[1:] == ["plugin"]:
        print(plugin_dir())
    elif argv[:1] == ["path"] and argv[1:] == ["root"]:
        print(root_dir())
    elif argv[:1] == ["glibc"] and len(argv) == 2:
        print(glibc_floor(Path(argv[1])))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

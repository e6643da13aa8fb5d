#!/usr/bin/env python3
"""The third-party servers the tests run, built from the Go module proxy.

    scripts/tools.py gen            rewrite tools/*/go.mod and go.sum from tools/versions.env
    scripts/tools.py build          build what is missing into the cache (make tools)
    scripts/tools.py path NAME      print the path of a built tool (kube-apiserver, kubectl, etcd, cnitool)

kube-apiserver and kubectl come from k8s.io/kubernetes at K8S_VERSION:
Kubernetes' own go.mod replaces each k8s.io/<staging> module with
./staging/..., which a consumer cannot use, so ``gen`` derives the list from
that go.mod (every staging module it replaces *and* requires) and replaces
each with its published v0.<minor>.<patch>. etcd (ETCD_VERSION) is a module
of its own: in one module with Kubernetes, minimal version selection would
lift Kubernetes' pinned dependencies (grpc, otel, x/net, the etcd client).

cnitool (libcni, the library containerd and CRI-O use, as a command) comes
from github.com/containernetworking/cni at the version tools/cnitool/go.mod
pins (its ``tool`` directive); the e2e tier drives fabric-cni through it.

Binaries go to ``$FABRIC_TOOLS_CACHE`` (default ``~/.cache/fabricd/tools``),
keyed by version, never into the checkout; a build reuses them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / "tools"


def versions() -> dict[str, str]:
    out = {}
    for raw in (TOOLS / "versions.env").read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip()
    return out


def cache() -> Path:
    if os.environ.get("FABRIC_TOOLS_CACHE"):
        return Path(os.environ["FABRIC_TOOLS_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fabricd" / "tools"


def tool_path(name: str) -> Path:
    v = versions()
    if name in ("kube-apiserver", "kubectl"):
        return cache() / f"kubernetes-{v['K8S_VERSION']}" / name
    if name == "etcd":
        return cache() / f"etcd-{v['ETCD_VERSION']}" / "etcd"
    if name == "cnitool":
        version = _required(TOOLS / "cnitool" / "go.mod", "github.com/containernetworking/cni")
        return cache() / f"cnitool-{version}" / name
    raise SystemExit(f"tools.py: unknown tool {name!r}")


def _required(gomod: Path, module: str) -> str:
    """The version ``gomod`` requires of ``module`` (a plain parse: no go command needed)."""
    for raw in gomod.read_text().splitlines():
        parts = raw.strip().removeprefix("require").split()
        if len(parts) >= 2 and parts[0] == module:
            return parts[1]
    raise SystemExit(f"tools.py: {gomod} requires no {module}")


def go(*args: str, cwd: Path, env: dict[str, str] | None = None, capture: bool = False) -> str:
    proc = subprocess.run(
        ["go", *args], cwd=cwd, env={**os.environ, **(env or {})}, check=True, text=True, capture_output=capture
    )
    return proc.stdout if capture else ""


def _gomod(module_dir: Path, spec: str) -> dict:
    info = json.loads(go("mod", "download", "-json", spec, cwd=module_dir, env={"GOFLAGS": "-mod=mod"}, capture=True))
    return json.loads(go("mod", "edit", "-json", info["GoMod"], cwd=module_dir, capture=True))


def gen() -> None:
    v = versions()
    k8s, etcd = v["K8S_VERSION"], v["ETCD_VERSION"]
    staging_version = "v0." + k8s.removeprefix("v1.")
    kube = TOOLS / "kube"
    upstream = _gomod(kube, f"k8s.io/kubernetes@{k8s}")
    required = {r["Path"] for r in upstream.get("Require", [])}
    staging = sorted(
        r["Old"]["Path"]
        for r in upstream.get("Replace", [])
        if r["New"]["Path"].startswith("./staging/") and r["Old"]["Path"] in required
    )
    godebug = [f"godebug {d['Key']}={d['Value']}" for d in upstream.get("Godebug") or upstream.get("GoDebug") or []]
    lines = [
        f"// Written by scripts/tools.py gen from k8s.io/kubernetes@{k8s}'s go.mod; edit tools/versions.env instead.",
        "module fabricd.invalid/tools/kube",
        "",
        f"go {upstream['Go']}",
        "",
        *([*godebug, ""] if godebug else []),
        "tool (",
        "\tk8s.io/kubernetes/cmd/kube-apiserver",
        "\tk8s.io/kubernetes/cmd/kubectl",
        ")",
        "",
        f"require k8s.io/kubernetes {k8s}",
        "",
        "replace (",
        *(f"\t{m} => {m} {staging_version}" for m in staging),
        ")",
        "",
    ]
    (kube / "go.mod").write_text("\n".join(lines))
    (kube / "go.sum").unlink(missing_ok=True)
    go("mod", "tidy", cwd=kube)
    etcd_dir = TOOLS / "etcd"
    upstream_etcd = _gomod(etcd_dir, f"go.etcd.io/etcd/server/v3@{etcd}")
    (etcd_dir / "go.mod").write_text(
        "// Written by scripts/tools.py gen; edit tools/versions.env instead.\n"
        "module fabricd.invalid/tools/etcd\n\n"
        f"go {upstream_etcd['Go']}\n\n"
        f"require go.etcd.io/etcd/server/v3 {etcd}\n"
    )
    (etcd_dir / "go.sum").unlink(missing_ok=True)
    go("mod", "tidy", cwd=etcd_dir)
    print(f"tools.py: kubernetes {k8s} ({len(staging)} staging modules at {staging_version}), etcd {etcd}")


def _build_date(module_dir: Path, spec: str) -> str:
    info = json.loads(go("mod", "download", "-json", spec, cwd=module_dir, capture=True))
    return str(info.get("Time") or "1970-01-01T00:00:00Z")


def build() -> None:
    v = versions()
    env = {"CGO_ENABLED": "0", "GOFLAGS": "-mod=readonly -modcacherw -buildvcs=false"}
    kube_out = tool_path("kube-apiserver").parent
    if not (tool_path("kube-apiserver").exists() and tool_path("kubectl").exists()):
        k8s = v["K8S_VERSION"]
        major, minor = k8s.removeprefix("v").split(".")[:2]
        date = _build_date(TOOLS / "kube", f"k8s.io/kubernetes@{k8s}")
        x = " ".join(
            f"-X k8s.io/{pkg}/version.{key}={value}"
            for pkg in ("component-base", "client-go/pkg")
            for key, value in (
                ("gitVersion", k8s),
                ("gitMajor", major),
                ("gitMinor", minor),
                ("gitTreeState", "clean"),
                ("buildDate", date),
            )
        )
        tmp = kube_out.with_name(kube_out.name + ".partial")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        print(f"tools.py: building kube-apiserver and kubectl {k8s} (a cold build takes ~15 minutes)", flush=True)
        go(
            "build", "-trimpath", "-tags=selinux,notest,grpcnotrace", f"-ldflags=all={x} -s -w", "-o", str(tmp) + "/",
            "k8s.io/kubernetes/cmd/kube-apiserver", "k8s.io/kubernetes/cmd/kubectl",
            cwd=TOOLS / "kube", env=env,
        )  # fmt: skip
        shutil.rmtree(kube_out, ignore_errors=True)
        tmp.rename(kube_out)
    etcd = tool_path("etcd")
    if not etcd.exists():
        tmp = etcd.parent.with_name(etcd.parent.name + ".partial")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        print(f"tools.py: building etcd {v['ETCD_VERSION']}", flush=True)
        go("build", "-trimpath", "-ldflags=-s -w", "-o", str(tmp / "etcd"), ".", cwd=TOOLS / "etcd", env=env)
        shutil.rmtree(etcd.parent, ignore_errors=True)
        tmp.rename(etcd.parent)
    cnitool = tool_path("cnitool")
    if not cnitool.exists():
        tmp = cnitool.parent.with_name(cnitool.parent.name + ".partial")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        print("tools.py: building cnitool (libcni)", flush=True)
        go("build", "-trimpath", "-o", str(tmp / "cnitool"), "github.com/containernetworking/cni/cnitool",
           cwd=TOOLS / "cnitool", env=env)  # fmt: skip
        shutil.rmtree(cnitool.parent, ignore_errors=True)
        tmp.rename(cnitool.parent)
    for name in ("kube-apiserver", "kubectl", "etcd", "cnitool"):
        print(f"tools.py: {name}: {tool_path(name)}")


def main(argv: list[str]) -> int:
    if argv[:1] == ["gen"]:
        gen()
    elif argv[:1] == ["build"]:
        build()
    elif argv[:1] == ["path"] and len(argv) == 2:
        print(tool_path(argv[1]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

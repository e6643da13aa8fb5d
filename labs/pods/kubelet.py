"""The lab plays kubelet and Multus (``fabric-lab pod create LAB --kubeconfig
FILE --node NODE '*'``, or one Pod: ``... NAMESPACE/NAME``): it follows the
Pods the API server binds to the node (or the one Pod, on the node it names)
and

- for a new Pod, reads the NetworkAttachmentDefinitions its
  ``k8s.v1.cni.cncf.io/networks`` annotation selects from the API server and
  creates it in the lab exactly as ``fabric-lab pod create`` does from files
  (:func:`labs.pods.runtime.create_pod`: the CNI plugin each NAD names, run
  in the node with the runtime's ``CNI_*``), then reports it ``Running``;
  a failed create is retried, as a kubelet retries a sandbox;
- for a Pod being deleted (or gone), runs DEL of its networks in reverse
  order, then deletes the Pod with grace 0 (with its UID as precondition).

It polls (``poll`` seconds): a lab kubelet needs no watch. Following one Pod,
it ends once that Pod was created and is gone again. Stopped, it does
nothing more: the Pods stay as they are (a dead node).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from labs.errors import LabError
from labs.pods import runtime
from labs.pods.kubeapi import KubeApi
from labs.pods.manifest import Nad, PodSpec, parse_nad, parse_pod

RETRY = 2.0


def _meta(pod: Mapping[str, Any]) -> Mapping[str, Any]:
    return pod.get("metadata") or {}


class Kubelet:
    def __init__(
        self,
        sdir: Path,
        api: KubeApi,
        node: str | None,
        *,
        only: str | None = None,
        progress: Callable[[str], None] = lambda _: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sdir = sdir
        self.api = api
        self.node = node
        self.only = only
        self.started = False
        self.progress = progress
        self.clock = clock
        self._failed: dict[str, tuple[float, str]] = {}  # pod UID -> (when, why)

    def _pods(self) -> dict[str, Mapping[str, Any]]:
        if self.only is None:
            assert self.node is not None
            found = self.api.pods_on(self.node)
        else:
            pod = self.api.pod(*self.only.split("/", 1))
            found = [pod] if pod is not None else []
            if pod is not None and self.node is None:
                self.node = str((pod.get("spec") or {}).get("nodeName") or "") or None
        return {f"{_meta(p).get('namespace')}/{_meta(p).get('name')}": p for p in found}

    def _records(self) -> dict[str, runtime.PodRecord]:
        return {
            r.ref: r
            for r in runtime.records(self.sdir)
            if r.node == self.node and (self.only is None or r.ref == self.only)
        }

    def done(self) -> bool:
        """Following one Pod: it was created and is gone again."""
        return self.only is not None and self.started and not self._records()

    def step(self) -> None:
        pods = self._pods()
        if self.node is None:
            return  # the one Pod is not there (yet), or not bound to a node
        records = self._records()
        for ref, rec in records.items():
            pod = pods.get(ref)
            same = pod is not None and _meta(pod).get("uid") == rec.uid
            if same and pod is not None and not _meta(pod).get("deletionTimestamp"):
                continue
            runtime.delete(self.sdir, ref, progress=self.progress)  # DEL, in reverse order
            self.progress(f"{ref}: sandbox removed")
            if same:
                self.api.delete_now(rec.namespace, rec.name, rec.uid)
                self.progress(f"{ref}: deleted (grace 0)")
        records = self._records()
        for ref, pod in pods.items():
            meta = _meta(pod)
            if meta.get("deletionTimestamp"):
                if ref not in records:
                    self.api.delete_now(str(meta["namespace"]), str(meta["name"]), str(meta["uid"]))
                continue
            phase = (pod.get("status") or {}).get("phase")
            if ref in records or phase in ("Succeeded", "Failed"):
                continue
            self._start(ref, pod)

    def _start(self, ref: str, pod: Mapping[str, Any]) -> None:
        uid = str(_meta(pod).get("uid"))
        failed = self._failed.get(uid)
        if failed is not None and self.clock() - failed[0] < RETRY:
            return
        try:
            spec = parse_pod(pod, f"pod {ref}")
            runtime.create_pod(self.sdir, spec, lambda: self._nads(spec), node=self.node, progress=self.progress)
            self.started = True
            self.api.set_phase(spec.namespace, spec.name, "Running")
        except LabError as e:
            if failed is None or failed[1] != str(e):
                self.progress(f"{ref}: not started: {e}")
            self._failed[uid] = (self.clock(), str(e))
            return
        self._failed.pop(uid, None)
        self.progress(f"{ref}: running")

    def _nads(self, spec: PodSpec) -> dict[str, Nad]:
        out: dict[str, Nad] = {}
        for sel in spec.networks:
            doc = self.api.nad(sel.namespace, sel.name)
            out[sel.ref] = parse_nad(doc, f"NetworkAttachmentDefinition {sel.ref}", "")
        return out

    def run(self, *, poll: float = 0.5, stop: Callable[[], bool] = lambda: False) -> None:
        while not stop() and not self.done():
            try:
                self.step()
            except LabError as e:
                self.progress(f"kubelet {self.node}: {e}")
            time.sleep(poll)

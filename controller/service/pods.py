"""What the API server knows about pods, as the service needs it: the seam
the Kubernetes controllers (``controller.kube``) fill when they run.

Without Kubernetes (:class:`NoPods`) a node is trusted for the pods it
runs (docs/security.md) and no phase is known."""

from __future__ import annotations

from typing import Protocol

from models.intent import Attachment, AttachmentId


class PodDirectory(Protocol):
    def phase(self, aid: AttachmentId) -> str:
        """The pod's phase (``Running``...; ``Gone`` when the API no longer has
        it); "" when unknown (its namespace not watched, or no Kubernetes)."""
        ...

    async def verify_attach(self, att: Attachment, *, new: bool) -> None:
        """Raise a PermissionDeniedError or PreconditionError when the API
        contradicts what the node claims for ``att`` (the pod, its UID,
        namespace and node), or when ``new`` and the NAD the pod attaches
        through is being deleted."""
        ...


class NoPods:
    def phase(self, aid: AttachmentId) -> str:
        del aid
        return ""

    async def verify_attach(self, att: Attachment, *, new: bool) -> None:
        del att, new

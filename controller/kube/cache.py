"""What the watches hold, as the controllers read it: the NADs, the Pods by
UID and the Nodes by name, across every watched namespace."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from controller.kube.objects import NadView, NodeView, PodView
from controller.kube.reflector import Reflector


@dataclasses.dataclass(slots=True)
class Caches:
    nads: list[Reflector[NadView]]
    pods: list[Reflector[PodView]]
    nodes: Reflector[NodeView]
    #: bumped on every change; views below are rebuilt when it moved
    generation: int = 0
    _by_uid: dict[str, PodView] = dataclasses.field(default_factory=dict)
    _uid_generation: int = -1

    def changed(self) -> None:
        self.generation += 1

    @property
    def reflectors(self) -> Iterator[Reflector[NadView] | Reflector[PodView] | Reflector[NodeView]]:
        yield from self.nads
        yield from self.pods
        yield self.nodes

    @property
    def nads_synced(self) -> bool:
        return all(r.synced for r in self.nads)

    @property
    def cleanup_synced(self) -> bool:
        """Pods and Nodes listed completely (absence means something only then)."""
        return self.nodes.synced and all(r.synced for r in self.pods)

    def all_nads(self) -> Iterator[NadView]:
        for r in self.nads:
            yield from r.items.values()

    def nad(self, ref: str) -> NadView | None:
        for r in self.nads:
            found = r.items.get(ref)
            if found is not None:
                return found
        return None

    def pod_by_uid(self, uid: str) -> PodView | None:
        if self._uid_generation != self.generation:
            self._by_uid = {p.uid: p for r in self.pods for p in r.items.values()}
            self._uid_generation = self.generation
        return self._by_uid.get(uid)

    def pod_count(self) -> int:
        return sum(len(r.items) for r in self.pods)

    def node(self, name: str) -> NodeView | None:
        return self.nodes.items.get(name)

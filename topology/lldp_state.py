"""LLDP neighbour state of every switch, as gNMI streams report it: a pure
reducer ``state.apply(event) -> state``.

The daemon turns each switch's ``Subscribe STREAM ON_CHANGE`` on
``/lldp/interfaces/interface/neighbors`` into events: leaf updates of a
neighbour (keyed by switch, local port and the neighbour list key ``id``),
deletes (of a neighbour, of a port's neighbours or of all of a switch's), and
session events. :meth:`LldpState.records` gives the records to build the
topology from at a time ``now`` the caller passes in.

Sessions and the hold time:

* ``SessionDown`` keeps the switch's neighbours as they were. For
  ``hold_time`` seconds they are plain records (a flap is ridden out); from
  ``since + hold_time`` on they are **stale**: kept, marked (``stale=True``),
  drawn dashed, refused by ``leaf_port``. They are never dropped by time.
* ``SessionUp`` starts a resync: the stream's initial dump re-sends what the
  switch still sees. Records are not stale from then on.
* ``SyncDone`` (the stream's ``sync_response``) drops the neighbours the
  dump did not re-send: they went away while the session was down.
* ``Forget`` drops a switch that left the inventory.

A switch with no session event yet counts as up (records handed in directly).
Leaves other than the ones a record holds (``age``, ``ttl``, ``last-update``,
capabilities) are ignored, so counters ticking do not churn the topology.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from models.ids import PortName, SwitchName
from topology.errors import FactsError
from topology.facts import ChassisIdType, LldpRecord, PortIdType

DEFAULT_HOLD_TIME = 60.0
#: OpenConfig ``neighbor/state`` leaves a record is made of
LEAVES = frozenset(
    {
        "system-name",
        "system-description",
        "chassis-id",
        "chassis-id-type",
        "port-id",
        "port-id-type",
        "port-description",
    }
)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class NeighborUpdate:
    switch: SwitchName
    local_port: PortName
    neighbor_id: str
    #: leaf name (``port-id``, ``state/port-id``, ``openconfig-lldp:port-id``) -> value
    values: Mapping[str, str]
    at: float


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class NeighborDelete:
    """Delete one neighbour, every neighbour of a port (``neighbor_id=None``)
    or of the switch (``local_port=None``)."""

    switch: SwitchName
    local_port: PortName | None = None
    neighbor_id: str | None = None
    at: float


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SessionUp:
    switch: SwitchName
    at: float


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SessionDown:
    switch: SwitchName
    at: float


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SyncDone:
    switch: SwitchName
    at: float


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Forget:
    switch: SwitchName


LldpEvent = NeighborUpdate | NeighborDelete | SessionUp | SessionDown | SyncDone | Forget


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Neighbor:
    values: tuple[tuple[str, str], ...]  # sorted leaf -> value
    last_seen: float
    confirmed: bool = True  # re-sent since the last SessionUp


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    up: bool
    since: float
    synced: bool = False


_Key = tuple[PortName, str]  # (local port, neighbour id)
_Table = Mapping[_Key, Neighbor]


def _leaf(name: str) -> str:
    return name.rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def _ro(d: dict[_Key, Neighbor]) -> _Table:
    return MappingProxyType(d)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class LldpState:
    hold_time: float = DEFAULT_HOLD_TIME
    neighbors: Mapping[SwitchName, _Table] = dataclasses.field(default_factory=lambda: MappingProxyType({}))
    sessions: Mapping[SwitchName, Session] = dataclasses.field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        if self.hold_time < 0:
            raise FactsError(f"LLDP hold time {self.hold_time} is negative")

    def _with(
        self, switch: SwitchName, table: dict[_Key, Neighbor] | None, session: Session | None = None
    ) -> LldpState:
        neighbors = dict(self.neighbors)
        if table:
            neighbors[switch] = _ro(table)
        else:
            neighbors.pop(switch, None)
        sessions = dict(self.sessions)
        if session is not None:
            sessions[switch] = session
        return dataclasses.replace(self, neighbors=MappingProxyType(neighbors), sessions=MappingProxyType(sessions))

    def apply(self, event: LldpEvent) -> LldpState:
        """The state after ``event`` (this state is left as it was)."""
        sw = event.switch
        table = dict(self.neighbors.get(sw, {}))
        if isinstance(event, NeighborUpdate):
            key = (event.local_port, event.neighbor_id)
            old = table.get(key)
            values = dict(old.values) if old else {}
            values.update({_leaf(k): str(v) for k, v in event.values.items() if _leaf(k) in LEAVES})
            table[key] = Neighbor(values=tuple(sorted(values.items())), last_seen=event.at)
            return self._with(sw, table)
        if isinstance(event, NeighborDelete):
            for port, nid in list(table):
                if event.local_port in (None, port) and event.neighbor_id in (None, nid):
                    del table[(port, nid)]
            return self._with(sw, table)
        if isinstance(event, SessionUp):
            table = {k: dataclasses.replace(n, confirmed=False) for k, n in table.items()}
            return self._with(sw, table, Session(up=True, since=event.at))
        if isinstance(event, SessionDown):
            return self._with(sw, table, Session(up=False, since=event.at))
        if isinstance(event, SyncDone):
            table = {k: n for k, n in table.items() if n.confirmed}
            session = self.sessions.get(sw, Session(up=True, since=event.at))
            return self._with(sw, table, dataclasses.replace(session, synced=True))
        sessions = {k: v for k, v in self.sessions.items() if k != sw}
        state = self._with(sw, None)
        return dataclasses.replace(state, sessions=MappingProxyType(sessions))

    def apply_all(self, events: Iterable[LldpEvent]) -> LldpState:
        state = self
        for event in events:
            state = state.apply(event)
        return state

    def is_stale(self, switch: SwitchName, now: float) -> bool:
        """Lost its session at least ``hold_time`` ago."""
        s = self.sessions.get(switch)
        return s is not None and not s.up and now - s.since >= self.hold_time

    def next_deadline(self, now: float) -> float | None:
        """The next time after ``now`` a switch goes stale (when to rebuild), if any."""
        times = [s.since + self.hold_time for s in self.sessions.values() if not s.up]
        return min((t for t in times if t > now), default=None)

    def records(self, now: float) -> tuple[LldpRecord, ...]:
        """Every neighbour with a port id and its subtype, as records at time
        ``now``, sorted. A missing ``chassis-id-type`` reads MAC_ADDRESS (it is
        shown, never used to identify anything)."""
        return tuple(r for r in self._parse(now) if isinstance(r, LldpRecord))

    def problems(self, now: float) -> tuple[str, ...]:
        """Neighbours that make no record (no port id yet, an unknown subtype)."""
        return tuple(r for r in self._parse(now) if isinstance(r, str))

    def _parse(self, now: float) -> list[LldpRecord | str]:
        out: list[LldpRecord | str] = []
        for sw in sorted(self.neighbors):
            stale = self.is_stale(sw, now)
            for (port, nid), n in sorted(self.neighbors[sw].items()):
                v = dict(n.values)
                where = f"{sw}/{port} neighbour {nid!r}"
                missing = [leaf for leaf in ("port-id", "port-id-type") if leaf not in v]
                if missing:  # a partial update: the rest follows, never guessed meanwhile
                    out.append(f"{where}: no {' or '.join(missing)} yet")
                    continue
                try:
                    out.append(
                        LldpRecord(
                            switch=sw,
                            local_port=port,
                            neighbor_id=nid,
                            system_name=v.get("system-name", ""),
                            port_id=v["port-id"],
                            port_id_type=PortIdType.parse(v["port-id-type"]),
                            chassis_id=v.get("chassis-id", ""),
                            chassis_id_type=ChassisIdType.parse(v.get("chassis-id-type", "MAC_ADDRESS")),
                            port_description=v.get("port-description", ""),
                            system_description=v.get("system-description", ""),
                            last_seen=n.last_seen,
                            stale=stale,
                        )
                    )
                except FactsError as e:
                    out.append(f"{where}: {e}")
        return out

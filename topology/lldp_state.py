"""LLDP neighbour state of every switch, as gNMI streams report it: a
reducer (pure: no I/O) updated in place, ``state.apply(event)``.

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
from collections import Counter
from collections.abc import Iterable, Mapping

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


#: bounds on what one switch can make fabricd hold (a hostile or broken switch
#: streaming unique neighbours must not grow memory or work without limit)
MAX_PORTS = 1024  # ports with neighbours, per switch
MAX_PER_PORT = 8  # neighbours per port (LLDP normally sees one)
MAX_VALUE = 255  # characters per leaf value, neighbour id and port name (LLDP's TLVs hold at most 255 bytes)

_Port = dict[str, Neighbor]  # neighbour id -> neighbour
_Table = dict[PortName, _Port]


def _leaf(name: str) -> str:
    return name.rsplit("/", 1)[-1].rsplit(":", 1)[-1]


class LldpState:
    """Every switch's neighbours, updated in place: the work of one event is
    proportional to what it touches (one neighbour for an update), never to
    the size of the table; what exceeds the bounds is dropped and counted
    (:meth:`take_drops`)."""

    __slots__ = (
        "_drops",
        "_made",
        "hold_time",
        "max_per_port",
        "max_ports",
        "max_value",
        "neighbors",
        "sessions",
        "version",
        "work",
    )

    def __init__(
        self,
        hold_time: float = DEFAULT_HOLD_TIME,
        *,
        max_ports: int = MAX_PORTS,
        max_per_port: int = MAX_PER_PORT,
        max_value: int = MAX_VALUE,
    ) -> None:
        if hold_time < 0:
            raise FactsError(f"LLDP hold time {hold_time} is negative")
        self.hold_time = hold_time
        self.max_ports = max_ports
        self.max_per_port = max_per_port
        self.max_value = max_value
        self.neighbors: dict[SwitchName, _Table] = {}
        self.sessions: dict[SwitchName, Session] = {}
        #: neighbour entries touched by events so far (tests hold it flat per event)
        self.work = 0
        #: grows with every change the records can show (a refresh of the same
        #: values, or a dropped update, leaves it: no topology rebuild needed)
        self.version = 0
        self._drops: Counter[tuple[SwitchName, str]] = Counter()
        #: (switch, port, neighbour id) -> (the neighbour, stale, what it made) at
        #: the last parse: a rebuild reads every neighbour, and most did not change
        self._made: dict[tuple[SwitchName, PortName, str], tuple[Neighbor, bool, LldpRecord | str]] = {}

    def copy(self) -> LldpState:
        """An independent copy (the state is updated in place)."""
        other = LldpState(
            self.hold_time, max_ports=self.max_ports, max_per_port=self.max_per_port, max_value=self.max_value
        )
        other.neighbors = {sw: {p: dict(n) for p, n in t.items()} for sw, t in self.neighbors.items()}
        other.sessions = dict(self.sessions)
        return other

    def take_drops(self) -> Counter[tuple[SwitchName, str]]:
        """(switch, reason) -> neighbour updates dropped since the last call."""
        drops, self._drops = self._drops, Counter()
        return drops

    def apply(self, event: LldpEvent) -> LldpState:
        """Apply ``event`` in place; returns this state (for chaining)."""
        sw = event.switch
        if isinstance(event, NeighborUpdate):
            self._update(event)
            return self
        if isinstance(event, NeighborDelete):
            self._delete(event)
            return self
        self.version += 1  # session events change staleness and resync state
        if isinstance(event, SessionUp):
            for port in self.neighbors.get(sw, {}).values():
                for nid, n in port.items():
                    port[nid] = dataclasses.replace(n, confirmed=False)
                    self.work += 1
            self.sessions[sw] = Session(up=True, since=event.at)
        elif isinstance(event, SessionDown):
            self.sessions[sw] = Session(up=False, since=event.at)
        elif isinstance(event, SyncDone):
            table = self.neighbors.get(sw, {})
            for port_name in list(table):
                port = table[port_name]
                for nid in [nid for nid, n in port.items() if not n.confirmed]:
                    del port[nid]
                    self.work += 1
                if not port:
                    del table[port_name]
            if not table:
                self.neighbors.pop(sw, None)
            session = self.sessions.get(sw, Session(up=True, since=event.at))
            self.sessions[sw] = dataclasses.replace(session, synced=True)
        else:
            self.neighbors.pop(sw, None)
            self.sessions.pop(sw, None)
        return self

    def _update(self, event: NeighborUpdate) -> None:
        sw, port_name, nid = event.switch, event.local_port, event.neighbor_id
        self.work += 1
        if len(port_name) > self.max_value or len(nid) > self.max_value:
            self._drops[(sw, "key-too-long")] += 1
            return
        values = {_leaf(k): str(v) for k, v in event.values.items() if _leaf(k) in LEAVES}
        if any(len(v) > self.max_value for v in values.values()):
            self._drops[(sw, "value-too-long")] += 1
            return
        table = self.neighbors.setdefault(sw, {})
        port = table.get(port_name)
        if port is None:
            if len(table) >= self.max_ports:
                self._drops[(sw, "too-many-ports")] += 1
                if not table:
                    del self.neighbors[sw]
                return
            port = table[port_name] = {}
        old = port.get(nid)
        if old is None and len(port) >= self.max_per_port:
            self._drops[(sw, "too-many-neighbours")] += 1
            return
        if old is not None:
            values = {**dict(old.values), **values}
        new = Neighbor(values=tuple(sorted(values.items())), last_seen=event.at)
        if old is None or old.values != new.values:
            self.version += 1
        port[nid] = new

    def _delete(self, event: NeighborDelete) -> None:
        table = self.neighbors.get(event.switch)
        if table is None:
            return
        ports = list(table) if event.local_port is None else [event.local_port]
        for port_name in ports:
            port = table.get(port_name)
            if port is None:
                continue
            if event.neighbor_id is None:
                self.work += len(port)
                self.version += 1
                del table[port_name]
            elif event.neighbor_id in port:
                self.work += 1
                self.version += 1
                del port[event.neighbor_id]
                if not port:
                    del table[port_name]
        if not table:
            del self.neighbors[event.switch]

    def apply_all(self, events: Iterable[LldpEvent]) -> LldpState:
        for event in events:
            self.apply(event)
        return self

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
        made = self._made
        fresh: dict[tuple[SwitchName, PortName, str], tuple[Neighbor, bool, LldpRecord | str]] = {}
        for sw in sorted(self.neighbors):
            stale = self.is_stale(sw, now)
            entries = ((port, nid, n) for port, ns in self.neighbors[sw].items() for nid, n in ns.items())
            for port, nid, n in sorted(entries, key=lambda e: (e[0], e[1])):
                was = made.get((sw, port, nid))
                if was is not None and was[0] is n and was[1] == stale:
                    fresh[(sw, port, nid)] = was
                    out.append(was[2])
                    continue
                got = self._one(sw, port, nid, n, stale)
                fresh[(sw, port, nid)] = (n, stale, got)
                out.append(got)
        self._made = fresh
        return out

    @staticmethod
    def _one(sw: SwitchName, port: PortName, nid: str, n: Neighbor, stale: bool) -> LldpRecord | str:
        """One neighbour's record, or why it makes none."""
        v = dict(n.values)
        where = f"{sw}/{port} neighbour {nid!r}"
        missing = [leaf for leaf in ("port-id", "port-id-type") if leaf not in v]
        if missing:  # a partial update: the rest follows, never guessed meanwhile
            return f"{where}: no {' or '.join(missing)} yet"
        try:
            return LldpRecord(
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
        except FactsError as e:
            return f"{where}: {e}"

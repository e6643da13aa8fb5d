"""The daemon: wiring, lifecycle, signals.

Start: settings -> store (single-writer lock) -> inventory and topology ->
service (the fleet of workers) -> API (health SERVING once everything is up) -> metrics port.
With the etcd store (``store.backend: etcd``) the service's role follows the
election instead (:mod:`controller.ha`): a follower serves and forwards, the
leader runs the fleet and the leader hooks (:attr:`Daemon.leader_hooks`).
SIGHUP reloads the inventory and the port map (only changed sessions
restart) and the API's TLS material (new connections take it).
SIGTERM/SIGINT: stop accepting, finish in-flight requests (grace), let
in-flight Sets finish, close sessions and the store. A store failure is
fatal (exit 1): restart from what is durable.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector

from controller.api.front import BINARY as FRONT_BINARY
from controller.api.front import FrontEndError, FrontServer, find_binary, start_front
from controller.api.handlers import FabricApi
from controller.api.server import ApiServer, start_server
from controller.api.tlsfiles import Described, ServerTLS, TlsFilesError
from controller.api.tlsfiles import load as load_tls
from controller.discovery import build as topo
from controller.discovery.lldp import Discovery
from controller.events import EventBus
from controller.ha.hooks import LeaderHooks
from controller.ha.metrics import ha_metrics
from controller.ha.node import HaNode
from controller.heap import Heap, Pauses
from controller.httpd import Health, MetricsServer
from controller.kube.metrics import KubeMetrics
from controller.log import get_logger, register_key, register_secret
from controller.metrics import Metrics, StateCollector, gauge
from controller.service.fabric import FabricService
from controller.settings.inventory import Inventory, load_inventory
from controller.settings.model import Settings
from controller.state_metrics import collector_fn
from controller.store import Store
from controller.store.sqlite import SqliteStore
from controller.supervise import Tasks
from models.errors import FabricError
from topology import LldpState, StaticPortMap, TopologySnapshot

log = get_logger("daemon")
INSECURE_REMINDER = 300.0
#: the API's certificate expires within this many days: a warning at start-up and at each reload
TLS_EXPIRY_WARNING_DAYS = 14.0


def _inventory(settings: Settings) -> Inventory:
    inv = load_inventory(settings.inventory) if settings.inventory else Inventory(switches=())
    for s in inv.switches:
        register_secret(s.password)
        if s.tls is not None and s.tls.key_pem:
            register_key(s.tls.key_pem)
        if s.tls is not None and s.tls.skip_verify:
            log.warning(
                "inventory.tls_skip_verify",
                switch=s.name,
                message="tls.skip_verify: true: fabricd will not verify this switch's certificate (labs only)",
            )
    return inv


def _generation(handlers: FabricApi) -> tuple[int, int]:
    """Moves with the work of the service in charge (a new term's service: a new id)."""
    service = handlers.service
    return id(service), service.fleet.generation


def _tls(settings: Settings) -> tuple[ServerTLS, Described] | None:
    """The API's TLS material, checked (TlsFilesError names the file); None without TLS."""
    tls = settings.api.tls
    if settings.api.insecure or tls is None:
        return None
    material, described = load_tls(tls.cert, tls.key, tls.client_ca)
    register_key(material.private_key)
    return material, described


async def _serve_api(handlers: FabricApi, settings: Settings, tls: ServerTLS | None) -> ApiServer | FrontServer:
    """The API's listeners served by fabricd-front or grpc.aio, as ``api.front_end`` says."""
    api = settings.api
    binary = find_binary(api.front_end_binary) if api.front_end != "python" else None
    if binary is None and api.front_end == "go":
        raise FrontEndError(
            f"api.front_end: go, but there is no {FRONT_BINARY} (set api.front_end_binary, or run `make front`)"
        )
    if binary is not None:
        return await start_front(handlers, api.listen, binary=binary, tls=tls, token_listeners=api.token_listen)
    if api.front_end == "auto":
        log.warning(
            "api.front_end_missing",
            detail=f"no {FRONT_BINARY} installed: grpc.aio serves the API, at ~1.6x fabricd's CPU per attach",
        )
    return await start_server(handlers, api.listen, tls=tls, token_listeners=api.token_listen)


class Daemon:
    def __init__(self, settings: Settings, *, owns_process: bool = True) -> None:
        self.settings = settings
        #: signal handlers and the garbage collector's schedule (controller.heap) are the process's
        self.owns_process = owns_process
        self.api: ApiServer | FrontServer | None = None
        self.ready = asyncio.Event()
        self.health = Health()
        self.registry = CollectorRegistry()
        self.metrics = Metrics(self.registry)
        self.kube_metrics = KubeMetrics(self.registry)
        self.kube: Any = None  # controller.kube.KubeControllers while kubernetes.enabled and leading
        self.node_tokens: Any = None  # controller.kube.tokens.TokenReviewer with kubernetes.node_tokens
        self.node_hostnames: dict[str, str] = {}
        self._rebuild: Any = None  # discovery's topology rebuild (LLDP mode)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        #: the collector's pauses (fabric_gc_pause_seconds): measured only while this daemon owns the process
        self.pauses = Pauses()
        self.registry.register(self.pauses)
        self._process_hooks = contextlib.ExitStack()
        self.events = EventBus()
        self.stopping = asyncio.Event()
        self.service: FabricService | None = None
        self.discovery: Discovery | None = None
        self.static: StaticPortMap | None = None
        self.api_addresses: list[str] = []
        self._signal_tasks: Tasks | None = None
        self.metrics_address = ""
        #: work that runs on the leader only (with SQLite: the one fabricd, from start-up)
        self.leader_hooks = LeaderHooks()
        #: with the etcd store: this instance's part in the election
        self.ha: HaNode | None = None
        self._inventory: Inventory | None = None
        #: the API's TLS material in use, and what it is (None: no TLS)
        self._tls: tuple[ServerTLS, Described] | None = None
        self._topology: TopologySnapshot | None = None
        self._discovering: Any = None

    async def run(self) -> int:
        settings = self.settings
        ha_mode = settings.store.backend == "etcd"
        store = None if ha_mode else SqliteStore(settings.store.path)  # StoreLockedError: refuse to start
        tasks = Tasks("daemon", self.metrics)
        metrics_server: MetricsServer | None = None
        api = None
        try:
            inventory = _inventory(settings)
            facts = topo.switch_facts(inventory)
            static = topo.load_port_map(settings, facts)
            topology = topo.build(settings, inventory, static=static)
            self._inventory, self._topology = inventory, topology
            self._tls = _tls(settings)  # before anything starts: a wrong file stops fabricd here
            if self._tls is not None:
                self._tls_in_use(self._tls[1])
            if store is None:
                self.ha = HaNode(settings, build=self._build, hooks=self.leader_hooks, metrics=self.metrics, address="")
                service = await self.ha.open()
            else:
                service = self._build(store)
            self.service = service
            if settings.kubernetes.enabled and settings.kubernetes.node_tokens:
                from controller.kube.tokens import open_reviewer  # kubernetes_asyncio: only when on

                self.node_tokens = await open_reviewer(settings.kubernetes)
            handlers = FabricApi(service, router=self.ha, tokens=self.node_tokens)
            loop = asyncio.get_running_loop()
            state = collector_fn(lambda: handlers.service, loop)
            self.registry.register(StateCollector(lambda: [*state(), self._ready_metric(), *ha_metrics(self.ha)]))
            tasks.loop("heartbeat", self.health.beat)
            if settings.kubernetes.enabled:
                self.leader_hooks.add("kubernetes", self._kube_start, self._kube_stop)
            if self.ha is None:
                await service.start()
                await self.leader_hooks.start(0)
            if settings.topology.mode != "static":
                discovery = self._discovery(service, inventory, static)
                discovery.start()
            api = await _serve_api(handlers, settings, self._tls[0] if self._tls else None)
            self.api = api
            self.api_addresses = [str(a) for a in api.bound]
            if self.ha is not None:
                self.ha.election.address = settings.ha.advertise or self.api_addresses[0]
                self.ha.start(handlers)
                self.health.describe = lambda: _describe(handlers)
            metrics_server = MetricsServer(settings.metrics.listen, self.registry, self.health)
            metrics_server.start()
            self.metrics_address = metrics_server.address
            await api.set_serving(True)
            self.health.ready = True
            if settings.api.insecure:
                tasks.loop("insecure-reminder", self._remind_insecure)
            if settings.reload_poll > 0:
                tasks.loop("file-watch", self._watch_files)
            if self.owns_process:
                self._signal_tasks = tasks
                self._signals(loop)
                self._process_hooks.enter_context(self.pauses.watching())
                tasks.loop("heap", Heap(lambda: _generation(handlers)).run)
            self.ready.set()
            log.info(
                "daemon.ready",
                api=",".join(self.api_addresses),
                metrics=self.metrics_address,
                store=self.ha.location if self.ha else service.store.location,
            )
            # with HA a store failure ends the term, not the process (controller.ha.node)
            fatal = service.fatal if self.ha is None else loop.create_future()
            waiter = asyncio.create_task(self.stopping.wait())
            futures: list[asyncio.Future[Any]] = [fatal, waiter]
            done, _ = await asyncio.wait(futures, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            code = 1 if fatal in done else 0
            if code:
                log.error("daemon.fatal", error=str(fatal.result()))
            return code
        finally:
            log.info("daemon.stopping")
            self.health.ready = False
            self.events.close()  # WatchEvents streams end now, not at the end of the grace
            if api is not None:
                await api.stop(grace=5.0)  # NOT_SERVING, stop accepting; in-flight requests finish
            if self.node_tokens is not None:
                await self.node_tokens.close()
            if self.discovery is not None:
                await self.discovery.stop()
            if self.ha is not None:
                await self.ha.stop()
            elif self.service is not None:
                await self.leader_hooks.stop()
                await self.service.stop()
            await tasks.stop()
            if metrics_server is not None:
                metrics_server.stop()
            if store is not None:
                store.close()
            self._process_hooks.close()
            log.info("daemon.stopped")

    def _build(self, store: Store) -> FabricService:
        assert self._inventory is not None and self._topology is not None
        service = FabricService(
            self.settings, store, self._inventory, self._topology, metrics=self.metrics, events=self.events
        )
        if self._discovering is not None:
            service.set_discovering(self._discovering)
        return service

    def _leading(self) -> FabricService | None:
        """The service that runs the fleet: with HA only while this instance leads."""
        return self.ha.leader_service if self.ha is not None else self.service

    def _follow(self, snap: TopologySnapshot) -> None:
        self._topology = snap
        service = self._leading()
        if service is not None:
            service.follow(snap)

    def _ready_metric(self) -> Any:
        ready = float(self.health.ready and self.health.alive)
        return gauge("fabric_ready", "1 when fabricd is ready: store open, API serving (as /readyz)", [], [([], ready)])

    def _discovery(self, service: FabricService, inventory: Inventory, static: StaticPortMap | None) -> Discovery:
        self.static = static

        def rebuild(state: LldpState, now: float) -> TopologySnapshot:
            assert self._inventory is not None
            return topo.build(
                self.settings,
                self._inventory,
                static=self.static,
                lldp=state.records(now),
                previous=self._topology,
                node_hostnames=self.node_hostnames,
            )

        self._rebuild = rebuild
        discovery = Discovery(self.settings, inventory, self.metrics, rebuild=rebuild, publish=self._follow)
        names = {s.name for s in inventory.switches}
        self._discovering = lambda: not names <= discovery.synced
        service.set_discovering(self._discovering)
        self.discovery = discovery
        return discovery

    async def _kube_start(self, term: int) -> None:
        """Leader hook: the Kubernetes controllers run on the leader only, on the service of its term."""
        from controller.kube.controller import controllers_for  # kubernetes_asyncio: only when on

        service = self._leading()
        assert service is not None, "leader hooks start with a leading service"
        self.kube = await controllers_for(self.settings.kubernetes, service, self.kube_metrics, on_nodes=self._on_nodes)

    async def _kube_stop(self) -> None:
        kube, self.kube = self.kube, None
        if kube is not None:
            await kube.stop()

    def _on_nodes(self, hostnames: Mapping[str, str]) -> None:
        """Node objects changed what LLDP system names mean: rebuild the topology."""
        self.node_hostnames = dict(hostnames)
        log.info("identity.nodes", hostnames=",".join(f"{k}={v}" for k, v in sorted(hostnames.items())) or "-")
        if self.discovery is None or self._rebuild is None:
            return
        try:
            self._follow(self._rebuild(self.discovery.state, time.time()))
        except FabricError as e:
            log.warning("topology.rebuild.failed", error=str(e))

    def _signals(self, loop: asyncio.AbstractEventLoop) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)
        loop.add_signal_handler(signal.SIGHUP, self._sighup)

    def _sighup(self) -> None:
        if self._signal_tasks is not None:
            self._signal_tasks.once("sighup-reload", self.reload())

    async def reload(self) -> None:
        await self.reload_tls()
        if self.service is None:
            return
        try:
            inventory = _inventory(self.settings)
            facts = topo.switch_facts(inventory)
            static = topo.load_port_map(self.settings, facts)
            topology = topo.build(
                self.settings, inventory, static=static, previous=self._topology, node_hostnames=self.node_hostnames
            )
        except FabricError as e:
            log.error("reload.refused", error=str(e))
            return
        self.static = static
        self._inventory, self._topology = inventory, topology
        leading = self._leading()
        if leading is not None:
            await leading.reload_inventory(inventory, topology)
        if self.discovery is not None:
            await self.discovery.reload(inventory)

    def _tls_in_use(self, described: Described) -> None:
        self.metrics.api_tls_expiry.labels("serving").set(described.not_after)
        self.metrics.api_tls_expiry.labels("client_ca").set(described.client_ca_not_after)
        days = (described.not_after - time.time()) / 86400
        if days < TLS_EXPIRY_WARNING_DAYS:
            log.warning("api.tls_expiring", subject=described.subject, sha256=described.sha256, days=round(days, 1))

    async def reload_tls(self) -> None:
        """The API's TLS files read again: material that changed and passes
        the checks serves every handshake from now on; anything else leaves
        the material in use as it is (logged and counted)."""
        if self.api is None or self._tls is None:
            return
        try:
            loaded = _tls(self.settings)
        except TlsFilesError as e:
            self._tls_refused(str(e))
            return
        if loaded is None or loaded[0] == self._tls[0]:
            return
        material, described = loaded
        try:
            await self.api.update_tls(material)
        except FrontEndError as e:
            self._tls_refused(str(e))
            return
        self._tls = loaded
        self._tls_in_use(described)
        self.metrics.api_tls_reloads.labels("applied").inc()
        log.info(
            "api.tls_reloaded",
            subject=described.subject,
            sha256=described.sha256,
            not_after=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(described.not_after)),
        )

    def _tls_refused(self, why: str) -> None:
        self.metrics.api_tls_reloads.labels("refused").inc()
        kept = self._tls[1].sha256 if self._tls else ""
        log.error("api.tls_reload_refused", error=why, serving_sha256=kept)

    def _watched(self) -> list[Path]:
        """The files whose change reloads: the inventory, the port map, the files the inventory names and the
        API's TLS files."""
        s = self.settings
        files = [p for p in (s.inventory, s.port_map) if p is not None]
        files += self._inventory.files if self._inventory is not None else ()
        if s.api.tls is not None and not s.api.insecure:
            files += [s.api.tls.cert, s.api.tls.key, s.api.tls.client_ca]
        return files

    async def _watch_files(self) -> None:
        """Reload when a file of :meth:`_watched` changes (as SIGHUP)."""

        def stamp() -> dict[Path, tuple[int, int, int] | None]:
            out: dict[Path, tuple[int, int, int] | None] = {}
            for p in self._watched():
                try:
                    st = p.stat()  # through symlinks: Kubernetes swaps a Secret's files by their link
                    out[p] = (st.st_mtime_ns, st.st_size, st.st_ino)
                except OSError:
                    out[p] = None
            return out

        seen = stamp()
        while True:
            await asyncio.sleep(self.settings.reload_poll)
            now = stamp()
            if now != seen:
                await asyncio.sleep(self.settings.reload_poll)  # let the writer finish
                changed = [p for p in now if now[p] != seen.get(p)]
                seen = stamp()
                log.info("reload.files_changed", files=",".join(str(p) for p in changed))
                await self.reload()

    async def _remind_insecure(self) -> None:
        while True:
            log.warning(
                "api.insecure",
                message="the API runs without TLS or client authentication (development only): every caller is an "
                "operator and may create and delete networks and attach or detach any pod of any node",
                listen=",".join(self.api_addresses),
            )
            await asyncio.sleep(INSECURE_REMINDER)


def _describe(handlers: FabricApi) -> str:
    st = handlers.controller_status()
    return f"role: {st.role}\ninstance: {st.instance}\nleader: {st.leader or '-'}\nterm: {st.term}\n"

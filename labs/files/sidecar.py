"""The sidecar file ``<lab>.fabric.yml``: what containerlab has no place for.

Format (documented with an example in labs/README.md)::

    gnmi:                        # all optional
      plaintext: false           # true: no TLS (only labs that say so)
      username: admin            # the password is generated per run
      client_auth: false         # true: switches require a client certificate
    validate: fast               # fast | full
    dataplane: none              # none | linux (up --dataplane overrides)
    evpn_asn: 65000              # fabric-wide 2-byte ASN of route targets
    expect:                      # the converged state the e2e tier checks
      lldp:     {SWITCH: {PORT: NODE:PORT}}     # OpenConfig/LLDP names
      segments: {NAME: {vni: V, vlan: L}}
      endpoints: {NAME: {segment: S, nic: NODE:NIC, address: A.B.C.D/N}}
      reach:    {NAME: [ENDPOINT, ...]}         # all pairs reach each other
      isolate:  {NAME: {from: [ENDPOINT, ...], to: [ENDPOINT, ...]}}

This module reads the file on its own; references to nodes and ports are
checked against the topology by :mod:`labs.files.topofile`.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from pathlib import Path
from typing import Any, cast

from labs.files._yamlfields import Fields, join, load_yaml, split_endpoint
from labs.files.spec import Dataplane, Validate

VNI_MAX = 16_777_215
VLAN_MAX = 4094
ASN2_MAX = 65_535


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class GnmiSettings:
    plaintext: bool = False
    username: str = "admin"
    #: switches require a client certificate signed by the lab CA (mutual TLS)
    client_auth: bool = False


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class LldpExpectation:
    """On ``switch`` port ``port`` (OpenConfig name), LLDP shows system
    ``neighbor`` with port id ``neighbor_port`` (its LLDP name)."""

    switch: str
    port: str
    neighbor: str
    neighbor_port: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Segment:
    name: str
    vni: int
    #: the VLAN on the NIC (tests that configure switches directly use it)
    vlan: int


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint:
    """An address on a VLAN of a node NIC, in a segment."""

    name: str
    segment: str
    node: str
    nic: str  # Linux name
    address: ipaddress.IPv4Interface


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ReachSet:
    """Every member reaches every other member."""

    name: str
    members: tuple[str, ...]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class IsolateSet:
    """No endpoint of ``sources`` reaches an endpoint of ``targets`` (and back)."""

    name: str
    sources: tuple[str, ...]
    targets: tuple[str, ...]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Expectations:
    lldp: tuple[LldpExpectation, ...] = ()
    segments: tuple[Segment, ...] = ()
    endpoints: tuple[Endpoint, ...] = ()
    reach: tuple[ReachSet, ...] = ()
    isolate: tuple[IsolateSet, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Sidecar:
    """The whole sidecar file; the defaults are a lab without one."""

    gnmi: GnmiSettings = GnmiSettings()
    validate: Validate = "fast"
    dataplane: Dataplane = "none"
    evpn_asn: int = 65000
    expect: Expectations = Expectations()


_TOP = ("gnmi", "validate", "dataplane", "evpn_asn", "expect")


def parse_sidecar(text: str, file: Path | str) -> Sidecar:
    f = Fields(file)
    raw = load_yaml(text, file)
    if raw is None:
        return Sidecar()
    doc = f.mapping(raw, "(top level)", allowed=_TOP)
    g = f.mapping(doc.get("gnmi") or {}, "gnmi", allowed=("plaintext", "username", "client_auth"))
    gnmi = GnmiSettings(
        plaintext=f.boolean(g.get("plaintext", False), "gnmi.plaintext"),
        username=f.string(g.get("username", "admin"), "gnmi.username"),
        client_auth=f.boolean(g.get("client_auth", False), "gnmi.client_auth"),
    )
    if gnmi.plaintext and gnmi.client_auth:
        raise f.error("gnmi.client_auth", "true needs TLS, but gnmi.plaintext is true")
    return Sidecar(
        gnmi=gnmi,
        validate=cast(Validate, f.choice(doc.get("validate", "fast"), "validate", ("fast", "full"))),
        dataplane=cast(Dataplane, f.choice(doc.get("dataplane", "none"), "dataplane", ("none", "linux"))),
        evpn_asn=f.integer(doc.get("evpn_asn", 65000), "evpn_asn", 1, ASN2_MAX, what="a 2-byte ASN"),
        expect=_expect(f, doc.get("expect") or {}),
    )


def _expect(f: Fields, raw: Any) -> Expectations:
    doc = f.mapping(raw, "expect", allowed=("lldp", "segments", "endpoints", "reach", "isolate"))
    lldp: list[LldpExpectation] = []
    for switch, ports in f.mapping(doc.get("lldp") or {}, "expect.lldp").items():
        field = join("expect.lldp", str(switch))
        for port, peer in f.mapping(ports, field).items():
            pfield = join(field, str(port))
            node, nport = _endpoint(f, peer, pfield)
            lldp.append(LldpExpectation(switch=str(switch), port=str(port), neighbor=node, neighbor_port=nport))
    segments = []
    for name, seg in f.mapping(doc.get("segments") or {}, "expect.segments").items():
        field = join("expect.segments", str(name))
        s = f.mapping(seg, field, allowed=("vni", "vlan"))
        segments.append(
            Segment(
                name=str(name),
                vni=f.integer(s.get("vni"), join(field, "vni"), 1, VNI_MAX, what="a VNI"),
                vlan=f.integer(s.get("vlan"), join(field, "vlan"), 1, VLAN_MAX, what="a VLAN id"),
            )
        )
    endpoints = []
    for name, ep in f.mapping(doc.get("endpoints") or {}, "expect.endpoints").items():
        field = join("expect.endpoints", str(name))
        e = f.mapping(ep, field, allowed=("segment", "nic", "address"))
        node, nic = _endpoint(f, e.get("nic"), join(field, "nic"))
        endpoints.append(
            Endpoint(
                name=str(name),
                segment=f.string(e.get("segment"), join(field, "segment")),
                node=node,
                nic=nic,
                address=f.ipv4_interface(e.get("address"), join(field, "address")),
            )
        )
    reach = [
        ReachSet(name=str(name), members=_names(f, members, join("expect.reach", str(name))))
        for name, members in f.mapping(doc.get("reach") or {}, "expect.reach").items()
    ]
    isolate = []
    for name, iso in f.mapping(doc.get("isolate") or {}, "expect.isolate").items():
        field = join("expect.isolate", str(name))
        i = f.mapping(iso, field, allowed=("from", "to"))
        isolate.append(
            IsolateSet(
                name=str(name),
                sources=_names(f, i.get("from"), join(field, "from")),
                targets=_names(f, i.get("to"), join(field, "to")),
            )
        )
    return Expectations(
        lldp=tuple(lldp),
        segments=tuple(segments),
        endpoints=tuple(endpoints),
        reach=tuple(reach),
        isolate=tuple(isolate),
    )


def _endpoint(f: Fields, value: Any, field: str) -> tuple[str, str]:
    parts = split_endpoint(value) if isinstance(value, str) else None
    if parts is None:
        raise f.error(field, f"{value!r} is not NODE:PORT")
    return parts


def _names(f: Fields, value: Any, field: str) -> tuple[str, ...]:
    items = f.seq(value, field)
    if not items:
        raise f.error(field, "must name at least one endpoint")
    return tuple(f.string(v, f"{field}[{i}]") for i, v in enumerate(items))

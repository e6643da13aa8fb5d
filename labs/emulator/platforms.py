"""The platforms the emulator plays (:class:`labs.emulator.platform.EmulatedPlatform`)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from types import MappingProxyType

from labs.emulator import gnmi_models
from labs.emulator.fullcheck import OpenconfigFullCheck
from labs.emulator.linux import overlay as oc_overlay
from labs.emulator.opstate import OPENCONFIG_STATE
from labs.emulator.platform import EmulatedPlatform, StateModel
from labs.emulator.srlinux import overlay as srl_overlay
from labs.emulator.srlinux import rules as srl_rules
from labs.emulator.srlinux import schema as srl_schema
from labs.emulator.srlinux.state import SrlinuxState
from labs.emulator.srlinux.yang import SrlinuxFullCheck
from labs.emulator.validate import OPENCONFIG as OC_VALIDATION
from labs.emulator.validate import Validation


def _oc_validation(ports: Iterable[str]) -> Validation:
    del ports
    return OC_VALIDATION


def _oc_state(ports: Iterable[str]) -> StateModel:
    del ports
    return OPENCONFIG_STATE


def _srl_validation(ports: Iterable[str]) -> Validation:
    return Validation(
        schema=srl_schema.ROOT,
        state_members=srl_schema.STATE_MEMBERS,
        rules=functools.partial(srl_rules.check_rules, ports=tuple(ports)),
    )


OPENCONFIG = EmulatedPlatform(
    name="openconfig",
    organization="OpenConfig working group",
    models=MappingProxyType(gnmi_models.OPENCONFIG),
    origins=frozenset({"", "openconfig"}),
    interfaces_at="/interfaces",
    qualify_paths=False,
    validation=_oc_validation,
    state=_oc_state,
    full=OpenconfigFullCheck(),
    overlay=lambda config, router_id: oc_overlay.overlay(config, router_id=router_id),
    vni_report=oc_overlay.vni_report,
    flood_report=oc_overlay.flood_report,
    moves_evpn=oc_overlay.moves_evpn,
    overlay_reader=oc_overlay.OverlayReader,
)

SRLINUX = EmulatedPlatform(
    name="srlinux",
    organization="Nokia",
    models=MappingProxyType(gnmi_models.SRLINUX),
    origins=frozenset({""}),
    interfaces_at="/interface",
    qualify_paths=True,
    validation=_srl_validation,
    state=SrlinuxState,
    full=SrlinuxFullCheck(),
    overlay=srl_overlay.overlay,
    vni_report=srl_overlay.vni_report,
    flood_report=srl_overlay.flood_report,
)

PLATFORMS = MappingProxyType({p.name: p for p in (OPENCONFIG, SRLINUX)})

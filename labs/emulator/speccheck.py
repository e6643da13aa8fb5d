"""What the emulator requires of a SwitchSpec, checked before any port is
taken: a platform it emulates (:mod:`labs.emulator.platforms`), port names
(the platform profile owns them), LLDP neighbours on declared ports with
known id types, a day-0 that declares every port and passes the platform's
fast validation, loadable TLS material, and for ``validate: full`` what the
full check needs (SR Linux: Nokia's models)."""

from __future__ import annotations

from typing import Any

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from labs.emulator.datastore import Datastore
from labs.emulator.errors import ConfigRejected, SpecError
from labs.emulator.platform import platform
from labs.emulator.txn import Op
from labs.emulator.validate import OPENCONFIG, Validation
from labs.files.spec import SwitchSpec
from models.oc.path import ROOT
from models.oc.tree import Tree
from models.platforms import PortNameError, profile

CHASSIS_ID_TYPES = (
    "CHASSIS_COMPONENT",
    "INTERFACE_ALIAS",
    "PORT_COMPONENT",
    "MAC_ADDRESS",
    "NETWORK_ADDRESS",
    "INTERFACE_NAME",
    "LOCAL",
)
PORT_ID_TYPES = (
    "INTERFACE_ALIAS",
    "PORT_COMPONENT",
    "MAC_ADDRESS",
    "NETWORK_ADDRESS",
    "INTERFACE_NAME",
    "AGENT_CIRCUIT_ID",
    "LOCAL",
)


def check_spec(spec: SwitchSpec) -> Tree:
    """The day-0 config as a validated tree; SpecError naming every problem."""
    try:
        plat = platform(spec.platform)
    except SpecError as err:
        raise SpecError(f"{spec.name}: {err}") from None
    problems: list[str] = []
    naming = profile(spec.platform)
    for port in spec.ports:
        try:
            names = naming.port_names(port)
        except PortNameError as err:
            problems.append(f"ports: {err}")
            continue
        if names.oc != port:
            problems.append(f"ports: {port!r} is not the switch's name of the port (use {names.oc!r})")
    for n in spec.lldp:
        if n.local_port not in spec.ports:
            problems.append(f"lldp: neighbour {n.system_name!r} is on {n.local_port!r}, not a port of the switch")
        if n.chassis_id_type not in CHASSIS_ID_TYPES:
            problems.append(f"lldp: chassis_id_type {n.chassis_id_type!r} is not one of {', '.join(CHASSIS_ID_TYPES)}")
        if n.port_id_type not in PORT_ID_TYPES:
            problems.append(f"lldp: port_id_type {n.port_id_type!r} is not one of {', '.join(PORT_ID_TYPES)}")
    config = load_config(spec.day0, name=spec.name, validation=plat.validation(spec.ports))
    missing = sorted(set(spec.ports) - set(plat.state(spec.ports).interface_names(config)))
    if missing:
        problems.append(f"day0: ports not declared in {plat.interfaces_at}: {', '.join(missing)}")
    if spec.validate == "full":
        why = plat.full.missing()
        if why:
            problems.append(f"validate full: {why}")
    if problems:
        raise SpecError(f"{spec.name}: " + "; ".join(problems))
    server_credentials(spec)
    return config


def load_config(doc: Any, *, name: str, validation: Validation = OPENCONFIG) -> Tree:
    """A day-0 document as a validated tree (SpecError naming every problem)."""
    if not isinstance(doc, dict):
        raise SpecError(f"{name}: day-0 configuration must be a JSON object")
    ds = Datastore(Tree(), validation)
    try:
        ds.set([Op(kind="replace", path=ROOT, value=doc)])
    except ConfigRejected as err:
        raise SpecError(f"{name}: day-0 configuration rejected: {'; '.join(err.problems)}") from None
    return ds.config


def server_credentials(spec: SwitchSpec) -> grpc.ServerCredentials | None:
    tls = spec.tls
    if tls is None:
        return None
    try:
        x509.load_pem_x509_certificate(tls.cert_pem)
        serialization.load_pem_private_key(tls.key_pem, None)
        if tls.client_ca_pem:
            x509.load_pem_x509_certificate(tls.client_ca_pem)
    except (ValueError, TypeError) as err:
        raise SpecError(f"{spec.name}: TLS material does not load: {err}") from None
    return grpc.ssl_server_credentials(
        [(tls.key_pem, tls.cert_pem)],
        root_certificates=tls.client_ca_pem,
        require_client_auth=tls.client_ca_pem is not None,
    )

"""What a NetworkAttachmentDefinition asks of the fabric, and whether its
namespace may have it (pure).

A NAD's ``spec.config`` is a CNI configuration: one plugin, or a conflist
(``plugins``). fabricd cares only about NADs with a ``fabric-cni`` plugin;
that plugin's entry names the fabric network as ``network``
(``NAMESPACE/NAME``) or only by ``vni``/``VNI`` (the founding notes'
``"VNI": "1111"``). :func:`parse_config` reads it, every problem named by its
path in the config; :func:`decide` says what the NAD gets:

- **bind** to an existing network its namespace may use (the NAD's own
  namespace, or a ``shared`` network), by name or by VNI;
- **create** the network ``<NAD namespace>/<NAD name>`` with its VNI, only
  when no network has that VNI and the VNI lies in a range an operator
  granted the NAD's namespace (``kubernetes.grants``); the network is then
  owned by the NAD (:func:`models.intent.nad_owner`) and goes with it;
- **refused**, with every reason, for anything else. Nothing changes then.

Names: NAD names are DNS-1123 subdomains (up to 253 characters, dots
allowed), fabric network names DNS-1123 labels (up to 63, no dots). A NAD
creates the network of *its own name*; a NAD whose name is not a label (it
has a dot, or is longer than 63) cannot create a network (refused, naming the
field) but may still bind to one by ``network`` or by VNI. No name is ever
shortened or rewritten, so two NADs can never map to one network by accident.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any

from models.errors import Problem
from models.ids import VNI_MAX, VNI_MIN, Vni
from models.intent import Network, NetworkKey, nad_owner
from models.validation import dns_label

FABRIC_CNI = "fabric-cni"
#: the node's settings (fabric-cni's node file): a NAD carrying any of them is refused (cni/README.md)
NODE_KEYS = ("controller", "tls", "token", "node", "stateDir", "vlanBackend", "attachTimeout")
#: the largest spec.config fabricd reads (a NAD is an object of the tenant's)
CONFIG_MAX = 64 * 1024


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class NadRequest:
    """The fabric-cni part of a NAD's config."""

    #: the CNI network name (the config's ``name``; scopes GC)
    cni_name: str
    #: the ``network`` form, else None
    network: NetworkKey | None = None
    #: the ``vni``/``VNI`` form, else None
    vni: Vni | None = None
    #: ``readiness`` of the network the NAD creates ("" = the fabric's default)
    readiness: str = ""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class VniRange:
    first: int
    last: int

    def __contains__(self, vni: object) -> bool:
        return isinstance(vni, int) and self.first <= vni <= self.last

    def __str__(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first}-{self.last}"

    @staticmethod
    def parse(text: str) -> VniRange:
        """``N`` or ``A-B`` (inclusive), within 1..16777215; ValueError says why."""
        first, sep, last = str(text).strip().partition("-")
        if not first.isdigit() or (sep and not last.isdigit()):
            raise ValueError("is not a VNI or a range A-B of VNIs")
        r = VniRange(first=int(first), last=int(last) if sep else int(first))
        if not VNI_MIN <= r.first <= r.last <= VNI_MAX:
            raise ValueError(f"is not within {VNI_MIN}..{VNI_MAX} with A <= B")
        return r


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Bind:
    network: NetworkKey


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Create:
    network: Network


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Refused:
    problems: tuple[Problem, ...]

    @property
    def message(self) -> str:
        return "; ".join(str(p) for p in self.problems)


Decision = Bind | Create | Refused


def _plugins(doc: Mapping[str, Any], out: list[Problem]) -> list[tuple[str, Mapping[str, Any]]]:
    """(path, plugin) of the config: a conflist's ``plugins``, or the config itself."""
    if "plugins" not in doc:
        return [("spec.config", doc)]
    plugins = doc["plugins"]
    if not isinstance(plugins, list):
        out.append(Problem("spec.config.plugins", plugins, "is not a list"))
        return []
    found: list[tuple[str, Mapping[str, Any]]] = []
    for i, p in enumerate(plugins):
        if not isinstance(p, dict):
            out.append(Problem(f"spec.config.plugins[{i}]", p, "is not an object"))
        else:
            found.append((f"spec.config.plugins[{i}]", p))
    return found


def parse_config(text: str) -> NadRequest | None:
    """The fabric-cni request of a NAD's ``spec.config``; None when no plugin
    of it is fabric-cni (not fabricd's business). :class:`ConfigRefused`
    names every problem."""
    if len(text) > CONFIG_MAX:
        raise ConfigRefused([Problem("spec.config", text, f"is longer than {CONFIG_MAX} characters")])
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise ConfigRefused([Problem("spec.config", text, f"is not JSON ({e})")]) from None
    if not isinstance(doc, dict):
        raise ConfigRefused([Problem("spec.config", doc, "is not a JSON object")])
    out: list[Problem] = []
    plugins = _plugins(doc, out)
    ours = [(path, p) for path, p in plugins if p.get("type") == FABRIC_CNI]
    if not ours:
        if out:
            raise ConfigRefused(out)
        return None
    if len(ours) > 1:
        out.append(Problem("spec.config.plugins", [p for p, _ in ours], "has more than one fabric-cni plugin"))
    path, plugin = ours[0]
    for key in NODE_KEYS:
        if key in plugin:
            out.append(Problem(f"{path}.{key}", key, "is the node's setting (fabric-cni's node file), never a NAD's"))
    name = doc.get("name") if "plugins" in doc else plugin.get("name")
    if not isinstance(name, str) or not name:
        out.append(Problem("spec.config.name", name, "is required (the CNI network name)"))
    request = _reference(path, plugin, out)
    readiness = plugin.get("readiness", "")
    if readiness not in ("", "committed", "forwarding"):
        out.append(Problem(f"{path}.readiness", readiness, "is not one of committed, forwarding"))
    if out:
        raise ConfigRefused(out)
    assert request is not None
    network, vni = request
    return NadRequest(cni_name=str(name), network=network, vni=vni, readiness=str(readiness))


def _reference(path: str, plugin: Mapping[str, Any], out: list[Problem]) -> tuple[NetworkKey | None, Vni | None] | None:
    given = [k for k in ("network", "vni", "VNI") if k in plugin]
    if len(given) != 1:
        why = "are given together: give one" if given else "is missing: give network (NAMESPACE/NAME) or vni"
        out.append(Problem(f"{path}.network", ",".join(given) or None, why))
        return None
    key = given[0]
    value = plugin[key]
    if key == "network":
        if not isinstance(value, str) or value.count("/") != 1:
            out.append(Problem(f"{path}.network", value, "is not NAMESPACE/NAME"))
            return None
        ref = NetworkKey.parse(value)
        before = len(out)
        dns_label(f"{path}.network", ref.namespace, out)
        dns_label(f"{path}.network", ref.name, out)
        return (ref, None) if len(out) == before else None
    if isinstance(value, bool) or not (
        isinstance(value, int) or (isinstance(value, str) and value.isdigit() and len(value) <= 8)
    ):
        out.append(Problem(f"{path}.{key}", value, "is not a VNI (an integer or a string of digits)"))
        return None
    vni = int(value)
    if not VNI_MIN <= vni <= VNI_MAX:
        out.append(Problem(f"{path}.{key}", value, f"is out of range {VNI_MIN}..{VNI_MAX}"))
        return None
    return None, Vni(vni)


class ConfigRefused(ValueError):
    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


def decide(
    namespace: str,
    name: str,
    request: NadRequest,
    networks: Mapping[NetworkKey, Network],
    grants: Sequence[VniRange],
) -> Decision:
    """What the NAD ``namespace/name`` gets (module docstring); ``grants``:
    the VNI ranges granted to ``namespace``."""
    if request.network is not None:
        net = networks.get(request.network)
        if net is None:
            return _refused("network", request.network, "does not exist (create it with fabricctl, or use a vni)")
        if not net.usable_from(namespace):
            return _refused(
                "network", request.network, f"is not shared and the NAD's namespace {namespace!r} is not its namespace"
            )
        return Bind(network=net.key)
    assert request.vni is not None
    vni = request.vni
    holder = next((n for n in networks.values() if n.vni == vni), None)
    if holder is not None:
        if holder.usable_from(namespace):
            return Bind(network=holder.key)
        return _refused("vni", vni, f"belongs to a network that namespace {namespace!r} may not use")
    if not any(vni in r for r in grants):
        granted = ", ".join(str(r) for r in grants) or "none"
        return _refused(
            "vni", vni, f"is not in a range granted to namespace {namespace!r} (kubernetes.grants: {granted})"
        )
    problems: list[Problem] = []
    dns_label("metadata.name", name, problems)
    if problems:
        why = (
            "is not a DNS-1123 label (a-z, 0-9, '-', at most 63), so it cannot name the fabric network it would create"
        )
        return Refused(problems=(Problem("metadata.name", name, why),))
    key = NetworkKey(namespace, name)
    existing = networks.get(key)
    if existing is not None:
        return _refused("metadata.name", name, f"names network {key}, which exists with VNI {existing.vni}")
    owner = nad_owner(namespace, name)
    return Create(network=Network(namespace=namespace, name=name, vni=vni, owner=owner, readiness=request.readiness))


def _refused(field: str, value: object, why: str) -> Refused:
    return Refused(problems=(Problem(field, str(value) if isinstance(value, NetworkKey) else value, why),))

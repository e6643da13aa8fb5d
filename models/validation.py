"""Request validation: every problem is collected (field, value, why) before
anything happens. Pure functions returning lists of Problems.

Every pattern must match the whole value (``fullmatch``: ``$`` would accept a
trailing newline, and ``green\n`` is not ``green``); lengths are checked
before patterns, and a value repeated in a message is cut short
(:func:`models.errors.shown`)."""

from __future__ import annotations

import re

from models.errors import Problem
from models.ids import VNI_MAX, VNI_MIN
from models.intent import Attachment, AttachmentId, Network

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
#: printable ASCII without space, '/', ':' or '%' (Linux counts bytes, 15 at most)
_IFNAME = re.compile(r"[!-$&-.0-9;-~]{1,15}")
_CONTAINER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,255}")
_POD_UID = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]{0,127}")
#: a CNI network name (the spec's pattern), as the runtime passes it
_CNI_NETWORK = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,252}")

MTU_MIN, MTU_MAX = 576, 9216
DESCRIPTION_MAX = 255


def dns_label(field: str, value: str, out: list[Problem]) -> None:
    if not value:
        out.append(Problem(field, value, "is required"))
    elif len(value) > 63 or not _DNS_LABEL.fullmatch(value):
        out.append(Problem(field, value, "is not a DNS-1123 label (a-z, 0-9, '-', at most 63)"))


def dns_subdomain(field: str, value: str, out: list[Problem]) -> None:
    if not value:
        out.append(Problem(field, value, "is required"))
    elif len(value) > 253 or not _DNS_SUBDOMAIN.fullmatch(value):
        out.append(Problem(field, value, "is not a DNS-1123 subdomain (a-z, 0-9, '-', '.', at most 253)"))


def ifname(field: str, value: str, out: list[Problem]) -> None:
    if not value:
        out.append(Problem(field, value, "is required"))
    elif value in (".", "..") or not _IFNAME.fullmatch(value):
        out.append(Problem(field, value, "is not a Linux interface name (1-15 characters, no '/', ':' or space)"))


def network_problems(net: Network, *, prefix: str = "network") -> list[Problem]:
    out: list[Problem] = []
    dns_label(f"{prefix}.name", net.name, out)
    dns_label(f"{prefix}.namespace", net.namespace, out)
    if not VNI_MIN <= net.vni <= VNI_MAX:
        out.append(Problem(f"{prefix}.vni", net.vni, f"is out of range {VNI_MIN}..{VNI_MAX}"))
    if net.mtu and not MTU_MIN <= net.mtu <= MTU_MAX:
        out.append(Problem(f"{prefix}.mtu", net.mtu, f"is out of range {MTU_MIN}..{MTU_MAX} (0 = default)"))
    if len(net.description) > DESCRIPTION_MAX:
        out.append(Problem(f"{prefix}.description", net.description, f"is longer than {DESCRIPTION_MAX}"))
    elif not net.description.isprintable():
        out.append(Problem(f"{prefix}.description", net.description, "has non-printable characters"))
    if net.readiness not in ("", "committed", "forwarding"):
        out.append(
            Problem(f"{prefix}.readiness", net.readiness[:64], "is not one of committed, forwarding ('' = the default)")
        )
    return out


def attachment_id_problems(aid: AttachmentId, *, prefix: str = "id") -> list[Problem]:
    out: list[Problem] = []
    dns_label(f"{prefix}.pod_namespace", aid.pod_namespace, out)
    dns_subdomain(f"{prefix}.pod_name", aid.pod_name, out)
    if not _POD_UID.fullmatch(aid.pod_uid):
        out.append(Problem(f"{prefix}.pod_uid", aid.pod_uid, "is not a pod UID (1-128 of A-Z, a-z, 0-9, '-')"))
    dns_label(f"{prefix}.network.namespace", aid.network.namespace, out)
    dns_label(f"{prefix}.network.name", aid.network.name, out)
    ifname(f"{prefix}.interface", aid.interface, out)
    return out


def container_id_problems(container_id: str, *, field: str = "container_id") -> list[Problem]:
    if not _CONTAINER_ID.fullmatch(container_id):
        return [Problem(field, container_id, "is not a container ID (1-256 of A-Z, a-z, 0-9, '_', '.', '-')")]
    return []


def attachment_problems(att: Attachment) -> list[Problem]:
    out = attachment_id_problems(att.id)
    out += container_id_problems(att.container_id)
    dns_subdomain("node", att.node, out)
    ifname("nic", att.nic, out)
    if att.cni_network and not _CNI_NETWORK.fullmatch(att.cni_network):
        out.append(Problem("cni_network", att.cni_network, "is not a CNI network name (A-Z, a-z, 0-9, '_', '.', '-')"))
    return out

"""NetworkAttachmentDefinition manifests for fabric networks (what RenderNAD returns).

The CNI configuration inside is what ``fabric-cni`` reads (see cni/README.md),
and only what is the network's::

    {"cniVersion": "1.1.0", "name": "blue", "type": "fabric-cni",
     "network": "default/blue", "mtu": 1500,
     "ipam": {"type": "static"},
     "capabilities": {"ips": true, "mac": true}}

``uplink`` (the node NIC) only when asked for: without it each node's
default uplink applies. Everything that is the node's (fabricd's address,
the node's TLS files, its name, state directory and VLAN backend) lives in
fabric-cni's node file (``/etc/fabric-cni/node.json``), never in a NAD: a
NAD is written by tenants, and fabric-cni refuses one that names those.
``capabilities`` makes Multus pass a pod annotation's ``ips`` and ``mac`` as
``runtimeConfig`` (what the static IPAM and macvlan plugins read).
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from models.errors import Problem, ValidationError
from models.intent import Network

CNI_VERSION = "1.1.0"


def _no_constant(name: str) -> None:
    raise ValueError(f"is not JSON: {name} is not a JSON number")


def cni_config(net: Network, *, uplink: str, ipam_json: str, mtu: int) -> dict[str, Any]:
    try:
        ipam = json.loads(ipam_json, parse_constant=_no_constant) if ipam_json else {"type": "static"}
    except json.JSONDecodeError as e:
        raise ValidationError([Problem("ipam_json", ipam_json, f"is not JSON: {e.msg}")]) from None
    except ValueError as e:  # NaN, Infinity: Python reads them, JSON has none (the NAD would not parse)
        raise ValidationError([Problem("ipam_json", ipam_json, str(e))]) from None
    except RecursionError:
        raise ValidationError([Problem("ipam_json", ipam_json, "is nested too deeply")]) from None
    if not isinstance(ipam, dict) or not isinstance(ipam.get("type"), str):
        raise ValidationError([Problem("ipam_json", ipam_json, 'must be an object with a "type"')])
    conf: dict[str, Any] = {
        "cniVersion": CNI_VERSION,
        "name": net.name,
        "type": "fabric-cni",
        "network": f"{net.namespace}/{net.name}",
    }
    if uplink:
        conf["uplink"] = uplink
    conf |= {"mtu": net.mtu or mtu, "ipam": ipam, "capabilities": {"ips": True, "mac": True}}
    return conf


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (the CNI config) as literal blocks, as NADs are written by hand."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def manifest(net: Network, config: dict[str, Any], *, namespace: str) -> str:
    doc = {
        "apiVersion": "k8s.cni.cncf.io/v1",
        "kind": "NetworkAttachmentDefinition",
        "metadata": {
            "name": net.name,
            "namespace": namespace,
            "annotations": {"fabricd.dev/vni": str(net.vni), "fabricd.dev/network": f"{net.namespace}/{net.name}"},
        },
        "spec": {"config": json.dumps(config, indent=2)},
    }
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False)

"""NetworkAttachmentDefinition manifests for fabric networks (what RenderNAD returns).

The CNI configuration inside is what ``fabric-cni`` reads (see cni/README.md)::

    {"cniVersion": "1.1.0", "name": "blue", "type": "fabric-cni",
     "network": "default/blue", "uplink": "eth1", "mtu": 1500,
     "controller": "unix:///run/fabricd/api.sock",
     "ipam": {"type": "static"},
     "capabilities": {"ips": true, "mac": true}}

With a TLS API it also names the node's client certificate files
(``tls: {ca, cert, key}``), which the node's provisioning puts in place.
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
TLS_FILES = {"ca": "/etc/fabric-cni/ca.pem", "cert": "/etc/fabric-cni/node.pem", "key": "/etc/fabric-cni/node-key.pem"}


def cni_config(net: Network, *, uplink: str, controller: str, ipam_json: str, mtu: int, tls: bool) -> dict[str, Any]:
    try:
        ipam = json.loads(ipam_json) if ipam_json else {"type": "static"}
    except json.JSONDecodeError as e:
        raise ValidationError([Problem("ipam_json", ipam_json, f"is not JSON: {e.msg}")]) from None
    if not isinstance(ipam, dict) or not isinstance(ipam.get("type"), str):
        raise ValidationError([Problem("ipam_json", ipam_json, 'must be an object with a "type"')])
    conf: dict[str, Any] = {
        "cniVersion": CNI_VERSION,
        "name": net.name,
        "type": "fabric-cni",
        "network": f"{net.namespace}/{net.name}",
        "uplink": uplink,
        "mtu": net.mtu or mtu,
        "controller": controller,
        "ipam": ipam,
        "capabilities": {"ips": True, "mac": True},
    }
    if tls:
        conf["tls"] = dict(TLS_FILES)
    return conf


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
    return yaml.safe_dump(doc, sort_keys=False)

"""Who talks to the lab's fabricd, and how a node knows it: the lab plays
the cluster's installer.

From the lab CA (``pki/ca.crt``; a plaintext lab gets one for its API
alone) it issues fabricd's API server certificate (``fabricd``, SAN DNS
``fabricd`` and IP 127.0.0.1), the operator certificate of ``fabricctl``
(O=fabricd:operators; fabricd lists it in ``api.operators``) and one node
certificate per node (O=fabricd:nodes, CN = the node's name). Each node
gets fabric-cni's node file and a copy of its own certificate, as an
installer would put them in ``/etc/fabric-cni/``::

    STATE_DIR/n/<node>/fabric-cni/
      node.json            controller, tls, node, stateDir, vlanBackend, uplink
      ca.crt, node.crt     the lab CA, the node's certificate
      node.key             its key (0600)

fabric-cni runs with ``$FABRIC_CNI_NODE_CONFIG`` naming that node's file
(the lab's nodes share one filesystem). The keys are fabric-cni's node file
(cni/README.md); this module writes them as data and imports nothing of
the plugin.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

from labs.dataplane.vlan import tagger_socket
from labs.files.topofile import load_lab
from labs.run.certs import CertKey, create_ca, issue_server_cert, write_pair
from labs.run.inventory import portmap
from labs.run.material import PKI_DIR, load_ca, write_client_cert
from labs.run.statefile import LabState

SERVER_NAME = "fabricd"  # the name in fabricd's API certificate; clients verify it
OPERATOR = "fabricctl"  # the operator identity of the lab's fabricctl
SERVER_STEM = "fabricd-api"  # pki/fabricd-api.crt, .key
NODE_DIR = "fabric-cni"
NODE_FILE = "node.json"
CNI_STATE_DIR = "cni"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ApiPki:
    """fabricd's API certificate and the operator's, with the CA of both."""

    ca: Path
    server_cert: Path
    server_key: Path
    operator_cert: Path
    operator_key: Path


def api_pki(state_dir: Path | str) -> ApiPki:
    """Where the API's certificates of a lab are (written by :func:`issue`)."""
    pki = Path(state_dir) / PKI_DIR
    return ApiPki(
        ca=pki / "ca.crt",
        server_cert=pki / f"{SERVER_STEM}.crt",
        server_key=pki / f"{SERVER_STEM}.key",
        operator_cert=pki / f"client-{OPERATOR}.crt",
        operator_key=pki / f"client-{OPERATOR}.key",
    )


def _ca(state: LabState) -> CertKey:
    """The lab CA; a plaintext lab (no PKI for its switches) gets one now."""
    sdir = Path(state.state_dir)
    if (sdir / PKI_DIR / "ca.key").exists():
        return load_ca(sdir)
    (sdir / PKI_DIR).mkdir(mode=0o700, exist_ok=True)
    ca = create_ca(f"fabric-lab {state.lab} CA")
    write_pair(sdir / PKI_DIR, "ca", ca)
    return ca


def issue(state: LabState, *, controller: str) -> ApiPki:
    """fabricd's server certificate, fabricctl's operator certificate, and
    each node's certificate and node file naming fabricd at ``controller``
    (all written again on every call)."""
    sdir = Path(state.state_dir)
    ca = _ca(state)
    write_pair(sdir / PKI_DIR, SERVER_STEM, issue_server_cert(ca, SERVER_NAME))
    write_client_cert(sdir, ca, OPERATOR, role="operator")
    pki = api_pki(sdir)
    uplinks = _default_uplinks(state)
    for node in (n for n in state.nodes if n.role == "node"):
        cert, key = write_client_cert(sdir, ca, node.name, role="node")
        _install(state, node.name, controller, (pki.ca, cert, key), uplinks.get(node.name))
    return pki


def node_file(state_dir: Path | str, node: str) -> Path:
    """Where ``node``'s fabric-cni node file is."""
    return Path(state_dir) / "n" / node / NODE_DIR / NODE_FILE


def _default_uplinks(state: LabState) -> dict[str, str]:
    """Each node's first NIC cabled to a switch (server1: eth1)."""
    out: dict[str, str] = {}
    for nic in portmap(load_lab(state.lab_file)):
        node, _, name = nic.partition("/")
        out.setdefault(node, name)
    return out


def _install(state: LabState, node: str, controller: str, files: tuple[Path, Path, Path], uplink: str | None) -> None:
    """What a node's installer puts into /etc/fabric-cni/ (``files``: the
    CA, the node's certificate and key), here in the node's directory."""
    ca, cert, key = files
    path = node_file(state.state_dir, node)
    d = path.parent
    d.mkdir(mode=0o700, parents=True, exist_ok=True)
    shutil.copyfile(ca, d / "ca.crt")
    write_pair(d, "node", CertKey(cert_pem=cert.read_bytes(), key_pem=key.read_bytes()))
    record = state.node(node)
    backend: dict[str, str] = {"mode": state.vlan_backend or "auto"}
    if state.vlan_backend == "tagger" and record is not None:
        backend["taggerSocket"] = tagger_socket(record)  # the tagger starts on the node's first pod
    doc = {
        "controller": controller,
        "tls": {"ca": str(d / "ca.crt"), "cert": str(d / "node.crt"), "key": str(d / "node.key"),
                "serverName": SERVER_NAME},
        "node": node,
        "stateDir": str(Path(state.state_dir) / CNI_STATE_DIR),
        "vlanBackend": backend,
    }  # fmt: skip
    if uplink is not None:
        doc["uplink"] = uplink
    tmp = d / f".{NODE_FILE}.tmp"
    tmp.write_text(json.dumps(doc, indent=2) + "\n")
    tmp.replace(path)

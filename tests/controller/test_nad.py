"""RenderNAD's manifests (controller/api/nad.py), as golden files: a NAD
carries only what is the network's; the node's settings (fabricd's address,
TLS files, node name, state directory, VLAN backend) are never in it
(fabric-cni refuses a NAD that names one: tests/cni/test_config.py)."""

from __future__ import annotations

import json

import pytest
import yaml

from controller.api.nad import cni_config, manifest
from models.errors import ValidationError
from models.ids import Vni
from models.intent import Network
from tests.golden_util import GOLDEN, check_text

BLUE = Network(namespace="default", name="blue", vni=Vni(1111))
CASES = {
    "blue": {"uplink": "", "ipam_json": "", "nad_namespace": "default"},
    "blue-eth2-host-local-in-pods": {
        "uplink": "eth2",
        "ipam_json": '{"type": "host-local", "subnet": "10.11.0.0/24"}',
        "nad_namespace": "pods",
    },
}
NETWORK_KEYS = {"cniVersion", "name", "type", "network", "uplink", "mtu", "ipam", "capabilities"}


@pytest.mark.parametrize("case", CASES)
def test_render_nad(case):
    args = CASES[case]
    conf = cni_config(BLUE, uplink=args["uplink"], ipam_json=args["ipam_json"], mtu=1500)
    text = manifest(BLUE, conf, namespace=args["nad_namespace"])
    assert set(json.loads(yaml.safe_load(text)["spec"]["config"])) <= NETWORK_KEYS
    check_text(GOLDEN / "nad" / f"{case}.yaml", text)


def test_bad_ipam_is_named():
    with pytest.raises(ValidationError, match="ipam_json"):
        cni_config(BLUE, uplink="", ipam_json="[1]", mtu=1500)

"""Parsing what a runtime hands the plugin: CNI_* variables, CNI_ARGS and the
network configuration (RenderNAD's format), with every problem named."""

from __future__ import annotations

import json

import pytest

from cni.plugin import errors
from cni.plugin.config import (
    DEFAULT_STATE_DIR,
    CniEnv,
    Pod,
    parse_cni_args,
    parse_env,
    parse_netconf,
)
from cni.plugin.errors import CniError
from controller.api.nad import cni_config
from models.ids import Vni
from models.intent import Network
from tests.golden_util import GOLDEN, check_text

ADD_ENV = {
    "CNI_COMMAND": "ADD",
    "CNI_CONTAINERID": "3f6940ab5ab4",
    "CNI_NETNS": "/var/run/netns/cni-1234",
    "CNI_IFNAME": "net1",
    "CNI_PATH": "/opt/cni/bin:/usr/lib/cni",
    "CNI_ARGS": "IgnoreUnknown=1;K8S_POD_NAMESPACE=apps;K8S_POD_NAME=web-0;"
    "K8S_POD_INFRA_CONTAINER_ID=3f6940ab5ab4;K8S_POD_UID=7d3b-11ee",
}


def nad_config(**over) -> dict:
    net = Network(namespace="default", name="blue", vni=Vni(1111))
    conf = cni_config(net, uplink="eth1", controller="unix:///run/fabricd/api.sock", ipam_json="", mtu=1500, tls=False)
    return {**conf, "runtimeConfig": {"ips": ["10.11.0.1/24"]}, **over}


def env_of(**over) -> CniEnv:
    return parse_env({**ADD_ENV, **over})


def code_of(fn, *args) -> CniError:
    with pytest.raises(CniError) as err:
        fn(*args)
    return err.value


# ------------------------------------------------------------------ CNI_ARGS


def test_cni_args():
    args, problems = parse_cni_args("IgnoreUnknown=1;K8S_POD_NAME=web-0;;EMPTY=;K8S_POD_NAMESPACE = apps ")
    assert args == {"IgnoreUnknown": "1", "K8S_POD_NAME": "web-0", "EMPTY": "", "K8S_POD_NAMESPACE": "apps"}
    assert problems == []
    _, problems = parse_cni_args("A=1;garbage;=x")
    assert problems == ["CNI_ARGS: 'garbage' is not KEY=VALUE", "CNI_ARGS: '=x' is not KEY=VALUE"]


def test_env_of_an_add():
    env = env_of()
    assert env.command == "ADD" and env.container_id == "3f6940ab5ab4" and env.ifname == "net1"
    assert env.path == ("/opt/cni/bin", "/usr/lib/cni")
    assert env.pod == Pod(namespace="apps", name="web-0", uid="7d3b-11ee", infra_container_id="3f6940ab5ab4")


def test_version_needs_nothing_and_status_little():
    assert parse_env({"CNI_COMMAND": "VERSION"}).command == "VERSION"
    assert parse_env({"CNI_COMMAND": "STATUS"}).command == "STATUS"
    e = code_of(parse_env, {"CNI_COMMAND": "GC"})
    assert e.code == errors.INVALID_ENV and "CNI_PATH is not set" in e.msg


def test_del_needs_no_netns_nor_pod():
    env = parse_env({k: v for k, v in ADD_ENV.items() if k not in ("CNI_NETNS", "CNI_ARGS")} | {"CNI_COMMAND": "DEL"})
    assert env.netns == "" and env.pod is None


BAD_ENVS = [
    {},
    {"CNI_COMMAND": "ATTACH"},
    {"CNI_COMMAND": "ADD"},
    {**ADD_ENV, "CNI_CONTAINERID": "-bad id", "CNI_IFNAME": "net/1", "CNI_NETNS": "netns"},
    {**ADD_ENV, "CNI_ARGS": "K8S_POD_NAMESPACE=apps;K8S_POD_NAME=web-0"},
    {**ADD_ENV, "CNI_ARGS": "K8S_POD_NAMESPACE=apps;junk"},
    {**ADD_ENV, "CNI_COMMAND": "CHECK", "CNI_NETNS": ""},
]


def test_bad_environments_name_every_variable():
    lines = []
    for environ in BAD_ENVS:
        e = code_of(parse_env, environ)
        assert e.code == errors.INVALID_ENV
        lines.append(f"{json.dumps(environ, sort_keys=True)}\n  -> {e.msg}\n")
    check_text(GOLDEN / "cni" / "env_errors.txt", "".join(lines))


# ------------------------------------------------------------ network config


def test_the_nad_config_parses():
    conf = parse_netconf(json.dumps(nad_config()).encode(), env_of())
    assert conf.cni_version == "1.1.0" and conf.name == "blue" and conf.network == "default/blue"
    assert conf.uplink == "eth1" and conf.mtu == 1500 and conf.ipam == {"type": "static"}
    assert conf.grpc_target == "unix:///run/fabricd/api.sock" and conf.tls is None
    assert conf.vlan_mode == "auto" and conf.tagger_socket is None and conf.state_dir == DEFAULT_STATE_DIR
    assert conf.node is None and conf.prev_result is None and conf.valid_attachments is None


def test_the_tls_nad_config_parses():
    net = Network(namespace="default", name="blue", vni=Vni(1111))
    raw = cni_config(net, uplink="eth2", controller="fabricd:50051", ipam_json="", mtu=9000, tls=True)
    conf = parse_netconf(json.dumps(raw).encode(), env_of(CNI_COMMAND="CHECK"))
    assert conf.tls is not None and conf.tls.cert == "/etc/fabric-cni/node.pem" and conf.grpc_target == "fabricd:50051"


def test_multus_cni_args_override_the_uplink_and_runtime_config_is_kept():
    raw = nad_config(
        args={"cni": {"uplink": "eth2"}},
        runtimeConfig={"ips": ["10.11.0.2/24"], "mac": "02:00:00:00:00:02", "portMappings": []},
    )
    conf = parse_netconf(json.dumps(raw).encode(), env_of())
    assert conf.uplink == "eth2" and conf.args == {"cni": {"uplink": "eth2"}}
    assert conf.runtime_config == {"ips": ["10.11.0.2/24"], "mac": "02:00:00:00:00:02"}  # known keys only


def test_node_local_settings_come_from_the_config_else_the_environment():
    env = parse_env(
        {**ADD_ENV, "FABRIC_CNI_STATE_DIR": "/run/lab/cni", "FABRIC_CNI_TAGGER_SOCKET": "/run/lab/n/server1/vlan.sock"}
    )
    conf = parse_netconf(json.dumps(nad_config()).encode(), env)
    assert conf.state_dir == "/run/lab/cni" and conf.tagger_socket == "/run/lab/n/server1/vlan.sock"
    raw = nad_config(stateDir="/var/lib/x", vlanBackend={"mode": "kernel", "taggerSocket": "/t.sock"}, node="n1")
    conf = parse_netconf(json.dumps(raw).encode(), env)
    assert (conf.state_dir, conf.tagger_socket, conf.vlan_mode, conf.node) == ("/var/lib/x", "/t.sock", "kernel", "n1")


def test_static_ipam_without_an_address_is_refused_before_anything_happens():
    raw = {k: v for k, v in nad_config().items() if k != "runtimeConfig"}
    e = code_of(parse_netconf, json.dumps(raw).encode(), env_of())
    assert e.code == errors.INVALID_CONFIG and 'give "ips" in the pod\'s network annotation' in e.msg
    for ok in ({"args": {"cni": {"ips": ["10.1.0.1/24"]}}}, {"ipam": {"type": "static", "addresses": [{}]}}):
        parse_netconf(json.dumps({**raw, **ok}).encode(), env_of())
    parse_netconf(json.dumps({**raw, "ipam": {"type": "host-local"}}).encode(), env_of())
    parse_netconf(json.dumps(raw).encode(), env_of(CNI_COMMAND="DEL"))


def test_gc_reads_the_valid_attachments():
    env = parse_env({"CNI_COMMAND": "GC", "CNI_PATH": "/usr/lib/cni"})
    raw = nad_config(**{"cni.dev/valid-attachments": [{"containerID": "c1", "ifname": "net1"}]})
    assert parse_netconf(json.dumps(raw).encode(), env).valid_attachments == (("c1", "net1"),)
    raw = nad_config(**{"cni.dev/attachments": []})  # the older spelling libcni also sends
    assert parse_netconf(json.dumps(raw).encode(), env).valid_attachments == ()
    e = code_of(parse_netconf, json.dumps(nad_config()).encode(), env)
    assert e.code == errors.INVALID_CONFIG and "cni.dev/valid-attachments is required for GC" in e.msg


@pytest.mark.parametrize("version", ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"])
def test_accepted_versions(version):
    """Item 19: every version the reference plugins accept."""
    assert parse_netconf(json.dumps(nad_config(cniVersion=version)).encode(), env_of()).cni_version == version


@pytest.mark.parametrize("version", ["0.5.0", "1.2.0", "2", None, 1])
def test_other_versions_are_incompatible(version):
    e = code_of(parse_netconf, json.dumps(nad_config(cniVersion=version)).encode(), env_of())
    assert e.code == errors.INCOMPATIBLE_VERSION and "0.1.0, 0.2.0, 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0" in e.msg


@pytest.mark.parametrize("data", [b"", b"{", b"\xff\xfe", b"[1, 2]", b'"conf"', b"null"])
def test_undecodable_stdin(data):
    assert code_of(parse_netconf, data, env_of()).code == errors.DECODE


BAD_CONFIGS = [
    {"cniVersion": "1.1.0"},
    nad_config(name="blue net", network="blue", uplink="eth 1", mtu=70000),
    nad_config(controller="localhost", ipam={"subnet": "10.0.0.0/24"}, node="Server_1"),
    nad_config(controller="unix://relative.sock", tls={"cert": "/c.pem", "ca": "ca.pem"}),
    nad_config(vlanBackend={"mode": "vlan", "taggerSocket": "t.sock"}, stateDir="run", attachTimeout=0),
    nad_config(args={"cni": {"uplink": 7}}, runtimeConfig={"ips": ["10.0.0.1", 5], "mac": "nope"}),
    nad_config(runtimeConfig={"ips": "10.0.0.1/24"}, prevResult=[], mtu=True),
    nad_config(**{"cni.dev/valid-attachments": [{"containerID": "c1"}, "x"]}),
]


def test_bad_configs_name_every_field():
    lines = []
    for raw in BAD_CONFIGS:
        e = code_of(parse_netconf, json.dumps(raw).encode(), env_of())
        assert e.code == errors.INVALID_CONFIG
        lines.append(f"{json.dumps(raw, sort_keys=True)}\n  -> {e.msg}\n")
    check_text(GOLDEN / "cni" / "config_errors.txt", "".join(lines))

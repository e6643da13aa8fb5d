"""Parsing what a runtime hands the plugin: CNI_* variables, CNI_ARGS and the
network configuration (RenderNAD's format, or the VNI-only NAD of the
founding notes), with every problem named; the node's settings in a NAD are
refused naming the key (the node file: tests/cni/test_nodeconf.py)."""

from __future__ import annotations

import json

import pytest

from cni.plugin import errors
from cni.plugin.config import (
    NODE_KEYS,
    CniEnv,
    NetRef,
    Pod,
    parse_cni_args,
    parse_env,
    parse_netconf,
)
from cni.plugin.errors import CniError
from controller.api.nad import cni_config
from models.ids import Vni
from models.intent import Network
from tests.cni.conftest import VNI_ONLY
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
    conf = cni_config(net, uplink="eth1", ipam_json="", mtu=1500)
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
    assert conf.cni_version == "1.1.0" and conf.name == "blue"
    assert conf.network == NetRef(namespace="default", name="blue") and str(conf.network) == "default/blue"
    assert conf.uplink == "eth1" and conf.mtu == 1500 and conf.ipam == {"type": "static"}
    assert conf.prev_result is None and conf.valid_attachments is None and conf.ignored_node_keys == ()


def test_render_nad_emits_only_what_a_nad_may_carry():
    net = Network(namespace="default", name="blue", vni=Vni(1111))
    conf = cni_config(net, uplink="", ipam_json="", mtu=1500)
    assert set(conf) == {"cniVersion", "name", "type", "network", "mtu", "ipam", "capabilities"}
    parsed = parse_netconf(json.dumps({**conf, "runtimeConfig": {"ips": ["10.1.0.1/24"]}}).encode(), env_of())
    assert parsed.uplink is None  # the node's default uplink applies


def test_multus_cni_args_override_the_uplink_and_runtime_config_is_kept():
    raw = nad_config(
        args={"cni": {"uplink": "eth2"}},
        runtimeConfig={"ips": ["10.11.0.2/24"], "mac": "02:00:00:00:00:02", "portMappings": []},
    )
    conf = parse_netconf(json.dumps(raw).encode(), env_of())
    assert conf.uplink == "eth2" and conf.args == {"cni": {"uplink": "eth2"}}
    assert conf.runtime_config == {"ips": ["10.11.0.2/24"], "mac": "02:00:00:00:00:02"}  # known keys only


@pytest.mark.parametrize("key", NODE_KEYS)
def test_a_nad_carrying_a_node_setting_is_refused_naming_the_key(key):
    """Item 2: a tenant's NAD must not point the plugin (root) at a controller, TLS files, a node
    name, a state directory or a tagger socket of its choosing."""
    value = {"tls": {"ca": "/x"}, "vlanBackend": {"taggerSocket": "/tmp/t.sock"}, "attachTimeout": 5}.get(key, "/x")
    e = code_of(parse_netconf, json.dumps(nad_config(**{key: value})).encode(), env_of())
    assert e.code == errors.INVALID_CONFIG
    assert f"{key}: the node's settings, never the network's" in e.msg and "/etc/fabric-cni/node.json" in e.msg
    for command in ("CHECK", "GC", "STATUS"):
        env = env_of(CNI_COMMAND=command)
        raw = nad_config(**{key: value, "cni.dev/valid-attachments": []})
        assert code_of(parse_netconf, json.dumps(raw).encode(), env).code == errors.INVALID_CONFIG


def test_every_node_setting_is_named_at_once_and_del_ignores_them():
    raw = nad_config(controller="evil:50051", stateDir="/etc", node="server2")
    e = code_of(parse_netconf, json.dumps(raw).encode(), env_of())
    assert e.msg.startswith("invalid network configuration: controller, node, stateDir: the node's settings")
    # DEL never uses them either, but succeeds: pods of a NAD from before can still be deleted
    conf = parse_netconf(json.dumps(raw).encode(), env_of(CNI_COMMAND="DEL"))
    assert conf.ignored_node_keys == ("controller", "node", "stateDir")


@pytest.mark.parametrize(
    ("given", "vni"),
    [({"VNI": "1111"}, 1111), ({"vni": 1111}, 1111), ({"VNI": 16777215}, 16777215), ({"vni": "1"}, 1)],
)
def test_a_nad_may_name_only_the_vni(given, vni):
    """Item 20: the founding notes' NAD ({"VNI": "1111"}, a string) and its integer and lower-case forms."""
    raw = {k: v for k, v in VNI_ONLY.items() if k != "VNI"} | given
    conf = parse_netconf(json.dumps(raw).encode(), env_of())
    assert conf.network == NetRef(vni=vni) and conf.network.by_vni and str(conf.network) == f"VNI {vni}"
    assert conf.cni_version == "0.3.0" and conf.uplink is None


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"VNI": "0"}, "VNI: 0 is not a VNI"),
        ({"VNI": 16777216}, "VNI: 16777216 is not a VNI"),
        ({"VNI": "11 11"}, 'VNI: "11 11" is not a VNI'),
        ({"VNI": True}, "VNI: true is not a VNI"),
        ({"VNI": "1111\n"}, "is not a VNI"),
        ({"vni": 1111}, "vni, VNI: both given: give one"),
        ({"network": "default/blue"}, "network, VNI: both given: name the network or its VNI, not both"),
        ({"VNI": None}, "network is required"),
    ],
)
def test_bad_vni_nads(over, message):
    raw = {**VNI_ONLY, **over}
    if over.get("VNI", "") is None:
        del raw["VNI"]
    e = code_of(parse_netconf, json.dumps(raw).encode(), env_of())
    assert e.code == errors.INVALID_CONFIG and message in e.msg, e.msg


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


@pytest.mark.parametrize("version", ["0.5.0", "1.2.0", "2", "0.3.1\n", None, 1])
def test_other_versions_are_incompatible(version):
    e = code_of(parse_netconf, json.dumps(nad_config(cniVersion=version)).encode(), env_of())
    assert e.code == errors.INCOMPATIBLE_VERSION and "0.1.0, 0.2.0, 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0" in e.msg


@pytest.mark.parametrize(
    ("command", "version"),
    [("CHECK", "0.3.1"), ("CHECK", "0.1.0"), ("GC", "1.0.0"), ("STATUS", "0.4.0")],
)
def test_commands_a_version_lacks_are_refused_as_the_reference_plugins_do(command, version):
    env = parse_env({**ADD_ENV, "CNI_COMMAND": command})
    raw = nad_config(cniVersion=version, **{"cni.dev/valid-attachments": []})
    e = code_of(parse_netconf, json.dumps(raw).encode(), env)
    assert e.code == errors.INCOMPATIBLE_VERSION and e.msg.startswith(f"config version does not allow {command}")


def test_old_versions_need_an_ipam_for_their_address_result():
    raw = {k: v for k, v in nad_config(cniVersion="0.2.0").items() if k != "ipam"}
    e = code_of(parse_netconf, json.dumps(raw).encode(), env_of())
    assert e.code == errors.INVALID_CONFIG and "ipam: is required with cniVersion 0.2.0" in e.msg
    parse_netconf(json.dumps({**raw, "cniVersion": "0.3.0"}).encode(), env_of())


@pytest.mark.parametrize("data", [b"", b"{", b"\xff\xfe", b"[1, 2]", b'"conf"', b"null"])
def test_undecodable_stdin(data):
    assert code_of(parse_netconf, data, env_of()).code == errors.DECODE


BAD_CONFIGS = [
    {"cniVersion": "1.1.0"},
    nad_config(name="blue net", network="blue", uplink="eth 1", mtu=70000),
    nad_config(name="blue\n", network="default/blue\n", ipam={"subnet": "10.0.0.0/24"}),
    nad_config(controller="unix:///tmp/evil.sock", tls={"cert": "/c.pem", "key": "/k.pem"}),
    nad_config(vlanBackend={"taggerSocket": "/tmp/t.sock"}, stateDir="/etc", node="server2", attachTimeout=1),
    {**VNI_ONLY, "VNI": "x", "vni": 7},
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


@pytest.mark.parametrize(
    ("ipam", "why"),
    [
        ('{"type": "static", "a": ' + "[" * 4000 + "]" * 4000 + "}", "nested too deeply"),
        ('{"type": "static", "n": NaN}', "NaN is not a JSON number"),
        ('{"type": "static", "n": -Infinity}', "-Infinity is not a JSON number"),
    ],
)
def test_render_nad_refuses_ipam_that_json_cannot_carry_naming_the_field(ipam, why):
    # RenderNAD is any authenticated caller's: nesting past the parser's depth was an INTERNAL error with a
    # traceback, and NaN rendered a NAD whose config no JSON parser reads
    from models.errors import ValidationError

    net = Network(namespace="default", name="blue", vni=Vni(1111))
    with pytest.raises(ValidationError, match=f"ipam_json: .*{why}"):
        cni_config(net, uplink="", ipam_json=ipam, mtu=1500)

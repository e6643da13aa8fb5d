"""fabricctl network create|get|list|delete and nad, against a real fabricd."""

from __future__ import annotations

import json

import yaml

from controller.ctl import errors


async def test_create_get_list_delete(api):
    r = await api.ctl("network", "create", "blue", "--vni", "1111", "--description", "blue team")
    assert r.code == 0, r.err
    header, row = r.out.splitlines()
    assert header.split()[:4] == ["NAMESPACE", "NAME", "VNI", "EVI"]
    assert row.split()[:4] == ["default", "blue", "1111", "1"] and "blue team" in row

    r = await api.ctl("-o", "json", "network", "create", "team-a/green", "--vni", "2222", "--shared", "--mtu", "9000")
    assert r.code == 0, r.err
    green = r.json()
    assert green["namespace"] == "team-a" and green["shared"] is True and green["mtu"] == 9000
    assert green["evi"] >= 1 and green["create_time"].endswith("Z")

    r = await api.ctl("network", "get", "blue", "-o", "yaml")
    assert r.code == 0 and r.yaml()["vni"] == 1111 and r.yaml()["description"] == "blue team"
    r = await api.ctl("network", "get", "green", "-n", "team-a", "-o", "json")
    assert r.code == 0 and r.json()["vni"] == 2222

    r = await api.ctl("-o", "json", "network", "list")
    assert [(n["namespace"], n["name"]) for n in r.json()] == [("default", "blue"), ("team-a", "green")]
    r = await api.ctl("network", "list", "-n", "team-a")
    assert r.code == 0 and "green" in r.out and "blue" not in r.out
    r = await api.ctl("network", "list", "-n", "nobody")
    assert r.code == 0 and r.out == "no networks\n"

    r = await api.ctl("network", "delete", "team-a/green")
    assert r.code == 0 and r.out == "network team-a/green deleted\n"
    r = await api.ctl("-o", "json", "network", "list")
    assert [n["name"] for n in r.json()] == ["blue"]


async def test_create_is_idempotent_and_conflicts_name_the_field(api):
    assert (await api.ctl("network", "create", "blue", "--vni", "1111")).code == 0
    again = await api.ctl("-o", "json", "network", "create", "blue", "--vni", "1111")
    assert again.code == 0 and again.json()["vni"] == 1111
    r = await api.ctl("network", "create", "other", "--vni", "1111")
    assert r.code == errors.FAILED
    assert "fabricd refused the request: network.vni: 1111 is taken by network default/blue" in r.err
    assert r.err.rstrip().endswith("(ALREADY_EXISTS)") and r.out == ""


async def test_invalid_arguments_name_every_field(api):
    r = await api.ctl("network", "create", "Bad_Name", "--vni", "0", "--mtu", "10")
    assert r.code == errors.FAILED and r.out == ""
    for needle in ("network.name: 'Bad_Name'", "network.vni: 0 is out of range", "network.mtu: 10", "INVALID_ARGUMENT"):
        assert needle in r.err
    assert r.err.startswith("fabricctl: ")


async def test_not_found_exits_4(api):
    r = await api.ctl("network", "get", "nope")
    assert r.code == errors.NOT_FOUND
    assert r.err == "fabricctl: not found: network default/nope does not exist (NOT_FOUND)\n"
    r = await api.ctl("network", "delete", "nope")
    assert r.code == errors.NOT_FOUND and "network default/nope does not exist" in r.err
    r = await api.ctl("network", "delete", "nope", "--ignore-not-found")
    assert r.code == 0 and r.err == ""
    r = await api.ctl("-o", "json", "network", "delete", "nope", "--ignore-not-found")
    assert r.code == 0 and r.json() == {"network": "default/nope", "deleted": False}
    r = await api.ctl("nad", "nope")
    assert r.code == errors.NOT_FOUND


async def test_usage_errors_exit_2_without_calling(api):
    r = await api.ctl("network", "get", "a/b", "-n", "c")
    assert r.code == errors.USAGE and "names namespace 'a' but -n says 'c'" in r.err
    r = await api.ctl("network", "create", "blue")
    assert r.code == errors.USAGE and "--vni" in r.err
    r = await api.ctl("network", "create", "blue", "--vni", "x")
    assert r.code == errors.USAGE and "invalid int value" in r.err
    r = await api.ctl("-o", "png", "network", "list")
    assert r.code == errors.USAGE and "-o png is for the topology command only" in r.err
    r = await api.ctl("nad", "blue", "--ipam", "{nope")
    assert r.code == errors.USAGE and "--ipam: not JSON" in r.err


async def test_nad_prints_the_manifest(api):
    assert (await api.ctl("network", "create", "blue", "--vni", "1111")).code == 0
    r = await api.ctl("nad", "blue", "--uplink", "eth2", "--ipam", '{"type": "host-local", "subnet": "10.1.0.0/24"}')
    assert r.code == 0, r.err
    nad = yaml.safe_load(r.out)
    assert nad["kind"] == "NetworkAttachmentDefinition" and nad["metadata"]["name"] == "blue"
    assert nad["metadata"]["annotations"]["fabricd.dev/vni"] == "1111"
    conf = json.loads(nad["spec"]["config"])
    assert conf["type"] == "fabric-cni" and conf["uplink"] == "eth2" and conf["network"] == "default/blue"
    assert conf["ipam"] == {"type": "host-local", "subnet": "10.1.0.0/24"}
    assert not {"controller", "tls", "node", "stateDir", "vlanBackend", "attachTimeout"} & set(conf)  # the node's

    r = await api.ctl("-o", "json", "nad", "default/blue", "--nad-namespace", "pods")
    assert r.code == 0
    nad = r.json()
    assert nad["metadata"]["namespace"] == "pods"
    assert "uplink" not in json.loads(nad["spec"]["config"])  # each node's default uplink


async def test_nad_controller_is_gone_with_an_explanation(api):
    r = await api.ctl("nad", "blue", "--controller", "10.0.0.1:50051")
    assert r.code == errors.USAGE and "fabricd's address is each node's setting" in r.err
    assert "--controller" not in (await api.ctl("nad", "--help")).out

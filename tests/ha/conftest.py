"""The HA tier: one real 3-member etcd 3.6 (the tools build) for the whole
tier, on 127.0.0.1 ports, torn down at the end; each test uses its own key
prefix. Tests that kill members start a cluster of their own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers.etcd import EtcdCluster, etcd_cluster


@pytest.fixture(scope="session")
def etcd3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EtcdCluster]:
    with etcd_cluster(tmp_path_factory.mktemp("etcd"), size=3) as cluster:
        yield cluster

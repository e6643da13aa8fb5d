"""Shared fixtures."""

import pytest


def pytest_addoption(parser):
    parser.addoption(
        "--soak",
        action="store_true",
        help="run the reliability suite long (1,000 kill -9 rounds, 100 HA failover and fencing rounds, ...)",
    )


@pytest.fixture(scope="session")
def etcd3(tmp_path_factory):
    """One real 3-member etcd 3.6 (the tools build) on 127.0.0.1 ports for the
    whole run, started on first use and torn down at the end; each test uses
    its own key prefix. Tests that kill members start a cluster of their own."""
    from tests.servers.etcd import etcd_cluster

    with etcd_cluster(tmp_path_factory.mktemp("etcd"), size=3) as cluster:
        yield cluster

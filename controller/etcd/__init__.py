"""A thin etcd v3 client: aetcd's generated stubs on fabricd's own grpc.aio
channels (TLS, several endpoints, a deadline on every call)."""

from __future__ import annotations

from controller.etcd.client import EtcdClient, EtcdError, EtcdTls, prefix_end

__all__ = ["EtcdClient", "EtcdError", "EtcdTls", "prefix_end"]

"""`fabricctl health`: ask the controller's grpc.health.v1 service."""

from __future__ import annotations

import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from controller.api.listen import AddressError, parse_address


def health(server: str, timeout: float = 5.0) -> int:
    try:
        addr = parse_address(server)
    except AddressError as e:
        print(f"fabricctl: --server: {e}", file=sys.stderr)
        return 2
    with grpc.insecure_channel(addr.grpc) as channel:
        try:
            resp = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=timeout)
        except grpc.RpcError as e:
            print(f"fabricctl: {server}: {e.code().name}: {e.details()}", file=sys.stderr)
            return 1
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)
    print(status)
    return 0 if resp.status == health_pb2.HealthCheckResponse.SERVING else 1

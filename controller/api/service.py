"""The fabric.v1.Fabric service.

Until the daemon core lands, every method answers UNIMPLEMENTED (the generated
base class does that); the contract itself is proto/fabric/v1/fabric.proto.
"""

from __future__ import annotations

from proto.fabric.v1 import fabric_pb2_grpc


class FabricService(fabric_pb2_grpc.FabricServicer):
    pass

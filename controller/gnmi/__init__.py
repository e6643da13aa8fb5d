"""gNMI client side of fabricd: grpc.aio with pygnmi's generated stubs (the
one gnmi.proto of the process), deadlines on every call, JSON_IETF."""

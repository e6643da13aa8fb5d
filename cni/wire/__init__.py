"""gRPC unary calls on the standard library alone: what fabric-cni needs to
talk to fabricd, without grpcio and protobuf.

Why: the plugin is a process per pod interface, and importing grpcio and the
generated stubs costs about 90 ms of its start-up (``bench cni``), more than
everything else the plugin does before fabricd hears of the pod. A unary
call needs little of gRPC: one HTTP/2 connection (RFC 9113) on a socket,
optionally TLS with the node's certificate (``ssl``), header blocks in HPACK
(RFC 7541), the gRPC length-prefixed message and the status in the
trailers (gRPC over HTTP/2, PROTOCOL-HTTP2.md), and protobuf's wire format
for the few messages the plugin sends and reads.

- :mod:`cni.wire.pb`: protobuf's wire format (encode fields, parse a message);
- :mod:`cni.wire.huffman`, :mod:`cni.wire.hpack`: header compression;
- :mod:`cni.wire.h2`: one HTTP/2 client connection, one request at a time;
- :mod:`cni.wire.grpc`: :class:`~cni.wire.grpc.Channel`, the unary call.

One error leaves this package, :class:`~cni.wire.grpc.RpcError`, with the
gRPC status name (``UNAVAILABLE``...) and details, the way grpcio would have
answered: socket, TLS and HTTP/2 failures are translated once, in
:mod:`cni.wire.grpc`. Everything read from the peer is bounded (frame,
header list, message sizes).
"""

"""The fabric.v1 gRPC API: listeners, health, reflection and the Fabric service."""

"""Errors -> gRPC status codes: the one place where that mapping lives."""

from __future__ import annotations

import grpc

from controller.service.relay import Relayed
from models.errors import (
    AlreadyExistsError,
    FabricError,
    NotFoundError,
    PermanentError,
    PermissionDeniedError,
    PlacementConflict,
    PoolExhaustedError,
    PortNameError,
    PreconditionError,
    QuotaExceededError,
    SupersededError,
    TemporaryError,
    UnknownPlatformError,
    ValidationError,
)

_MAP: tuple[tuple[type[BaseException], grpc.StatusCode], ...] = (
    (ValidationError, grpc.StatusCode.INVALID_ARGUMENT),
    (PortNameError, grpc.StatusCode.INVALID_ARGUMENT),
    (NotFoundError, grpc.StatusCode.NOT_FOUND),
    (AlreadyExistsError, grpc.StatusCode.ALREADY_EXISTS),
    (PermissionDeniedError, grpc.StatusCode.PERMISSION_DENIED),
    (PoolExhaustedError, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (QuotaExceededError, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (PlacementConflict, grpc.StatusCode.FAILED_PRECONDITION),
    (PreconditionError, grpc.StatusCode.FAILED_PRECONDITION),
    (UnknownPlatformError, grpc.StatusCode.FAILED_PRECONDITION),
    (SupersededError, grpc.StatusCode.ABORTED),
    (TemporaryError, grpc.StatusCode.UNAVAILABLE),
    (PermanentError, grpc.StatusCode.FAILED_PRECONDITION),
)


def status_of(error: BaseException) -> grpc.StatusCode:
    if isinstance(error, Relayed):  # the leader's answer to a forwarded request, as it was
        return getattr(grpc.StatusCode, error.code, grpc.StatusCode.UNKNOWN)
    for kind, code in _MAP:
        if isinstance(error, kind):
            return code
    return grpc.StatusCode.INTERNAL


def is_expected(error: BaseException) -> bool:
    """Errors that are answers (not bugs): no traceback in the log."""
    return isinstance(error, FabricError)

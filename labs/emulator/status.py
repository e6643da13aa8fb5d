"""Emulator errors -> gRPC status, in one place."""

from __future__ import annotations

from typing import Any, NoReturn

import grpc

from labs.emulator.errors import (
    EmulatorError,
    InjectedFault,
    InvalidRequest,
    PathNotFound,
    Rebooting,
    SpecError,
    Unauthenticated,
    Unsupported,
)

_CODES: tuple[tuple[type[EmulatorError], grpc.StatusCode], ...] = (
    (InvalidRequest, grpc.StatusCode.INVALID_ARGUMENT),
    (PathNotFound, grpc.StatusCode.NOT_FOUND),
    (Unsupported, grpc.StatusCode.UNIMPLEMENTED),
    (Unauthenticated, grpc.StatusCode.UNAUTHENTICATED),
    (Rebooting, grpc.StatusCode.UNAVAILABLE),
    (SpecError, grpc.StatusCode.FAILED_PRECONDITION),
)


def status_of(err: EmulatorError) -> tuple[grpc.StatusCode, str]:
    if isinstance(err, InjectedFault):
        return err.code, str(err)
    for cls, code in _CODES:
        if isinstance(err, cls):
            return code, str(err)
    return grpc.StatusCode.INTERNAL, str(err)


async def abort(context: Any, err: EmulatorError) -> NoReturn:
    code, message = status_of(err)
    await context.abort(code, message)
    raise AssertionError("context.abort returned")  # pragma: no cover

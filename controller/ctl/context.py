"""What every command gets: the parsed arguments, the output format and a
lazily opened :class:`~controller.ctl.client.Client`."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from controller.ctl.client import Client, ConnectOptions
from controller.ctl.errors import USAGE, CtlError


@dataclasses.dataclass
class Context:
    args: argparse.Namespace
    output: str
    options: ConnectOptions
    _client: Client | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = Client(self.options)
        return self._client

    @property
    def fabric(self) -> Any:
        return self.client.fabric

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def network_ref(self, text: str, namespace: str | None = None) -> Any:
        """``NS/NAME`` or ``NAME`` (namespace from ``-n``, default ``default``)."""
        from proto.fabric.v1 import fabric_pb2

        ns, sep, name = text.partition("/")
        if not sep:
            ns, name = namespace or "default", text
        elif namespace and namespace != ns:
            raise CtlError(f"network {text!r} names namespace {ns!r} but -n says {namespace!r}", USAGE)
        if not name or "/" in name:
            raise CtlError(f"network {text!r}: expected NAME or NAMESPACE/NAME", USAGE)
        return fabric_pb2.NetworkRef(namespace=ns, name=name)

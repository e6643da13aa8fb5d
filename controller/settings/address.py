"""Listener addresses for the API server and its clients.

Accepted forms:

* ``unix:///abs/path.sock`` or ``unix:/abs/path.sock`` - a unix socket. Its path is
  shared by every network namespace of the host, so CNI plugins running inside
  a node's namespace reach it.
* ``HOST:PORT``, ``tcp://HOST:PORT``, ``[::1]:PORT`` - TCP. Port 0 picks a free
  port. A TCP 127.0.0.1 inside one network namespace is not the host's.
"""

from __future__ import annotations

import dataclasses
import os


class AddressError(ValueError):
    """A listener or server address that cannot be used."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Address:
    kind: str  # "unix" or "tcp"
    target: str  # socket path, or HOST:PORT

    @property
    def grpc(self) -> str:
        """The form grpc's add_*_port and channels take."""
        return f"unix:{self.target}" if self.kind == "unix" else self.target

    def __str__(self) -> str:
        return f"unix://{self.target}" if self.kind == "unix" else self.target

    def on_port(self, port: int) -> Address:
        """The address as bound: a TCP listener on the port it got (``:0`` asks for any), a socket as it is."""
        return self if self.kind == "unix" else Address(kind="tcp", target=f"{self.target.rpartition(':')[0]}:{port}")


def parse_address(text: str) -> Address:
    raw = text.strip()
    if not raw:
        raise AddressError("empty address: expected unix:///path.sock or HOST:PORT")
    if raw.startswith("unix:"):
        path = raw[len("unix:") :]
        if path.startswith("//"):
            path = path[2:]
        if not path.startswith("/"):
            raise AddressError(f"{text!r}: a unix socket path must be absolute (unix:///run/fabricd/api.sock)")
        return Address(kind="unix", target=os.path.normpath(path))
    if raw.startswith("tcp://"):
        raw = raw[len("tcp://") :]
    host, sep, port = raw.rpartition(":")
    if not sep or not host:
        raise AddressError(f"{text!r}: expected HOST:PORT or unix:///path.sock")
    if not port.isdigit() or int(port) > 65535:
        raise AddressError(f"{text!r}: port {port!r} is not a number in 0..65535")
    return Address(kind="tcp", target=f"{host}:{int(port)}")

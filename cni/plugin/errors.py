"""fabric-cni's one error: a CNI error object (code, msg, details).

Every failure leaves the plugin as one :class:`CniError`, printed once as
``{"cniVersion": ..., "code": N, "msg": ..., "details": ...}`` on stdout with
a non-zero exit (cni.plugin.main). The codes (cni/README.md, "Error codes")::

    CniError(code, msg, details)      .temporary: the runtime should try again
    |  spec codes
    +-- 1   INCOMPATIBLE_VERSION      cniVersion not one of 0.1.0 .. 1.1.0, or a
    |                                 command its version lacks (CHECK < 0.4.0)
    +-- 4   INVALID_ENV               CNI_* variables missing or malformed (named)
    +-- 5   IO_FAILURE                the node's state directory or node file
    |                                 cannot be used
    +-- 6   DECODE                    stdin is not a JSON object
    +-- 7   INVALID_CONFIG            a field of the network config or of the
    |                                 node file (named; a node key in a NAD)
    +-- 11  TRY_AGAIN  (temporary)    controller unreachable, fabric not ready in
    |                                 time, tagger not answering, state locked
    +-- 50  NOT_AVAILABLE             STATUS: cannot serve ADD (controller down)
    +-- 51  NOT_AVAILABLE_LIMITED     STATUS: and existing pods lost connectivity
    |                                 (the VLAN backend serving them is gone)
    |  ours (100+)
    +-- 100 INTERNAL                  a bug in fabric-cni (the message says so)
    +-- 101 CONTROLLER_REFUSED        fabricd said no (unknown network/node/NIC,
    |                                 placement conflict, bad request)
    +-- 102 NOT_AUTHORIZED            TLS identity refused, or its files unreadable
    +-- 103 VLANS_EXHAUSTED           the leaf has no VLAN left, or the node
    |                                 holds the most attachments it may
    +-- 104 VLAN_BACKEND              no VLAN sub-interface (no 802.1Q, no
    |                                 tagger, no such uplink)
    +-- 105 DELEGATE_FAILED           macvlan / IPAM plugin missing or failed
    +-- 106 CHECK_FAILED              CHECK: the attachment is not as it should be

Pure: no I/O, importable by anything.
"""

from __future__ import annotations

INCOMPATIBLE_VERSION = 1
INVALID_ENV = 4
IO_FAILURE = 5
DECODE = 6
INVALID_CONFIG = 7
TRY_AGAIN = 11
NOT_AVAILABLE = 50
NOT_AVAILABLE_LIMITED = 51
INTERNAL = 100
CONTROLLER_REFUSED = 101
NOT_AUTHORIZED = 102
VLANS_EXHAUSTED = 103
VLAN_BACKEND = 104
DELEGATE_FAILED = 105
CHECK_FAILED = 106

#: code -> short name (the README's table, tests)
NAMES = {
    INCOMPATIBLE_VERSION: "incompatible CNI version",
    INVALID_ENV: "invalid environment variables",
    IO_FAILURE: "I/O failure",
    DECODE: "failed to decode content",
    INVALID_CONFIG: "invalid network config",
    TRY_AGAIN: "try again later",
    NOT_AVAILABLE: "plugin not available",
    NOT_AVAILABLE_LIMITED: "plugin not available; existing containers may have limited connectivity",
    INTERNAL: "internal error",
    CONTROLLER_REFUSED: "refused by fabricd",
    NOT_AUTHORIZED: "not authorized by fabricd",
    VLANS_EXHAUSTED: "fabricd's limit reached (no VLAN left on the leaf, or the node's attachment quota)",
    VLAN_BACKEND: "VLAN backend failure",
    DELEGATE_FAILED: "delegate plugin failed",
    CHECK_FAILED: "attachment not as expected",
}


class CniError(Exception):
    """A CNI error object: ``code``, ``msg`` (what happened and what to do),
    ``details`` (more, optional). ``status``: the gRPC code's name when
    fabricd answered it (never printed; callers decide by it).
    ``cni_version``: the version of the config that was refused, when it got
    that far (the answer is written in it)."""

    def __init__(self, code: int, msg: str, details: str = "", *, status: str = "") -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.details = details
        self.status = status
        self.cni_version = ""  # the config's version, once known: the one to answer in

    @property
    def temporary(self) -> bool:
        return self.code == TRY_AGAIN

    def to_json(self, cni_version: str) -> dict[str, object]:
        out: dict[str, object] = {"cniVersion": cni_version, "code": self.code, "msg": self.msg}
        if self.details:
            out["details"] = self.details
        return out

    def __repr__(self) -> str:
        return f"CniError({self.code}, {self.msg!r})"


def problems_error(code: int, what: str, problems: list[str]) -> CniError:
    """One error naming every problem (``what: p1; p2``)."""
    return CniError(code, f"{what}: " + "; ".join(problems))

"""The gNMI switch emulator: one in-process gNMI target per switch (the
approach of openconfig/lemming), the target every controller test and
benchmark runs against.

Layout (small modules, pure where they can be):

* :mod:`.platform`, :mod:`.platforms` - what differs between the platforms
  the emulator plays (``openconfig``; ``srlinux``, :mod:`.srlinux`);
* :mod:`.schema`, :mod:`.types` - the supported OpenConfig subset, as data;
* :mod:`.txn` - Set transactions with an undo log, leaf-level changes;
* :mod:`.validate`, :mod:`.rules`, :mod:`.fullcheck` - fast structural and
  semantic checks, and opt-in checks with the official bindings;
* :mod:`.datastore` - running config, state, change feed; :mod:`.opstate` -
  the operational state it reports (LLDP, interfaces);
* :mod:`.codec`, :mod:`.gnmi_service`, :mod:`.subscribe`, :mod:`.auth` - gNMI;
* :mod:`.faults`, :mod:`.control` - fault rules, counters, fault verbs;
* :mod:`.emulator` - one switch; :mod:`.host` - many in one process
  (:class:`EmulatorHost`); :mod:`.host_process` - the host process
  (``python -m labs.emulator.host_process``), serving the switch specs of
  :mod:`labs.files.spec`;
* :mod:`.admin`, :mod:`.admin_client` - the admin service
  (``proto/lab/v1/emulator.proto``);
* :mod:`.dataplane` - the seam between the datastore and a dataplane
  (``none``: in memory); :mod:`.linux` - the Linux backend, acting on the
  switch namespaces that :mod:`labs.dataplane` builds.

See ``docs/emulator.md`` for what a client can rely on.
"""

from labs.emulator.emulator import Emulator
from labs.emulator.errors import (
    ConfigRejected,
    EmulatorError,
    EmulatorPermanentError,
    EmulatorTemporaryError,
    SpecError,
)
from labs.emulator.faults import Counters
from labs.emulator.host import EmulatorHost

__all__ = [
    "ConfigRejected",
    "Counters",
    "Emulator",
    "EmulatorError",
    "EmulatorHost",
    "EmulatorPermanentError",
    "EmulatorTemporaryError",
    "SpecError",
]

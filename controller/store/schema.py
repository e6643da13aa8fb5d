"""SQLite schema, versioned, with migrations from the first release.

``MIGRATIONS[n]`` takes a database from version n to n+1; a new release only
appends. ``meta.schema_version`` records the version.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 0 -> 1: the first release
    """
    CREATE TABLE networks (
        namespace   TEXT NOT NULL,
        name        TEXT NOT NULL,
        vni         INTEGER NOT NULL UNIQUE,
        evi         INTEGER NOT NULL UNIQUE,
        shared      INTEGER NOT NULL,
        mtu         INTEGER NOT NULL,
        description TEXT NOT NULL,
        created     REAL NOT NULL,
        PRIMARY KEY (namespace, name)
    );
    CREATE TABLE attachments (
        pod_namespace TEXT NOT NULL,
        pod_name      TEXT NOT NULL,
        pod_uid       TEXT NOT NULL,
        net_namespace TEXT NOT NULL,
        net_name      TEXT NOT NULL,
        interface     TEXT NOT NULL,
        container_id  TEXT NOT NULL,
        node          TEXT NOT NULL,
        nic           TEXT NOT NULL,
        vni           INTEGER NOT NULL,
        switch        TEXT,
        port          TEXT,
        vlan          INTEGER,
        conflict      TEXT NOT NULL,
        created       REAL NOT NULL,
        PRIMARY KEY (pod_namespace, pod_name, pod_uid, net_namespace, net_name, interface)
    );
    CREATE INDEX attachments_by_node ON attachments (node, net_namespace, net_name);
    CREATE TABLE vlan_allocations (
        switch    TEXT NOT NULL,
        vni       INTEGER NOT NULL,
        vlan      INTEGER NOT NULL,
        releasing INTEGER NOT NULL,
        PRIMARY KEY (switch, vni),
        UNIQUE (switch, vlan)
    );
    CREATE TABLE switch_applied (
        switch      TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        at          REAL NOT NULL
    );
    """,
    # 1 -> 2: switch_applied was never written (what a switch has is read from it)
    """
    DROP TABLE switch_applied;
    """,
    # 2 -> 3: the CNI network name an attachment was made through (scopes GC)
    """
    ALTER TABLE attachments ADD COLUMN cni_network TEXT NOT NULL DEFAULT '';
    """,
    # 3 -> 4: who owns a network (the API, or the Kubernetes NetworkAttachmentDefinition that created it)
    """
    ALTER TABLE networks ADD COLUMN owner TEXT NOT NULL DEFAULT 'api';
    """,
    # 4 -> 5: when a network's attachments are READY ('' = the fabric's default)
    """
    ALTER TABLE networks ADD COLUMN readiness TEXT NOT NULL DEFAULT '';
    """,
    # 5 -> 6: the switches whose objects of fabricd this store accounts for (a store that lost them holds the
    # switch instead of wiping it; those it holds VLANs of count as claimed without a row)
    """
    CREATE TABLE switch_claims (
        switch TEXT PRIMARY KEY,
        at     REAL NOT NULL
    );
    """,
]

VERSION = len(MIGRATIONS)

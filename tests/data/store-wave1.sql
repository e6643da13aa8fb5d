-- A store written by fabricd wave 1 (schema version 1, commit 5402d12), dumped with
-- sqlite3's iterdump: tests/controller/test_store_migration.py rebuilds it and migrates it.
BEGIN TRANSACTION;
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
INSERT INTO "attachments" VALUES('default','pod1','uid-1','default','blue','net1','c0ffee','server1','eth1',1111,'sw1','ethernet-1/1',100,'',1700000002.0);
INSERT INTO "attachments" VALUES('tenant-a','pod2','uid-2','tenant-a','red','net1','beef','server2','eth1',3333,NULL,NULL,101,'NIC server2/eth1 moved to sw2/ethernet-1/2: VLAN 101 is taken',1700000003.0);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO "meta" VALUES('schema_version','1');
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
INSERT INTO "networks" VALUES('default','blue',1111,1,1,0,'seed blue',1700000000.0);
INSERT INTO "networks" VALUES('tenant-a','red',3333,2,0,0,'',1700000001.0);
CREATE TABLE switch_applied (
        switch      TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        at          REAL NOT NULL
    );
INSERT INTO "switch_applied" VALUES('sw1','0123456789abcdef',1700000004.0);
CREATE TABLE vlan_allocations (
        switch    TEXT NOT NULL,
        vni       INTEGER NOT NULL,
        vlan      INTEGER NOT NULL,
        releasing INTEGER NOT NULL,
        PRIMARY KEY (switch, vni),
        UNIQUE (switch, vlan)
    );
INSERT INTO "vlan_allocations" VALUES('sw1',1111,100,0);
INSERT INTO "vlan_allocations" VALUES('sw2',3333,200,1);
CREATE INDEX attachments_by_node ON attachments (node, net_namespace, net_name);
COMMIT;

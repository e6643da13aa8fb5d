"""High availability on etcd: leader election with fencing, the follower's
watched copy of the intent, forwarding to the leader (docs/ha.md)."""

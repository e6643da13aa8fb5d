// Command etcd is etcd's own server main (go.etcd.io/etcd/server/v3/etcdmain),
// pinned by this module's go.mod. The tests run it; nothing ships it.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}

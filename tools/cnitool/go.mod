// cnitool, the reference runtime's command line over libcni (the library
// containerd and CRI-O use), built only for fabric-cni's e2e tests: they
// drive the plugin through it (tests/e2e/test_libcni.py). `make cnitool`
// builds it into the user's cache; nothing of it is committed but this
// file and go.sum.
module fabricd.test/tools/cnitool

go 1.24

tool github.com/containernetworking/cni/cnitool

require (
	github.com/containernetworking/cni v1.3.1 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/spf13/cobra v1.9.1 // indirect
	github.com/spf13/pflag v1.0.6 // indirect
	go.opentelemetry.io/otel v1.29.0 // indirect
	go.opentelemetry.io/otel/trace v1.29.0 // indirect
)

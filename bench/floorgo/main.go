// Command floorgo is the transport floor's server in Go (grpc-go): the
// standard health check on a unix socket, nothing behind it. bench/floor.py
// builds it when a Go toolchain is there and times it beside the grpc.aio
// server, to say what a lighter runtime would gain on the API hop. The
// benchmarks run it; nothing ships it.
package main

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: floorgo SOCKET")
		os.Exit(2)
	}
	lis, err := net.Listen("unix", os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "floorgo:", err)
		os.Exit(1)
	}
	server := grpc.NewServer()
	healthpb.RegisterHealthServer(server, health.NewServer())
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		server.Stop()
	}()
	fmt.Println("ready")
	if err := server.Serve(lis); err != nil {
		fmt.Fprintln(os.Stderr, "floorgo:", err)
		os.Exit(1)
	}
}

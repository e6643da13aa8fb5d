// Command fabricd-front serves fabricd's gRPC API (fabric.v1.Fabric, the
// standard health service and server reflection) for the fabricd process
// that starts it, and hands each call to that process over a socket pair.
//
// Why: served from CPython (grpc.aio), the API's call machinery cost more
// CPU than the attach behind it (docs/performance.md). Here it is Go's; what
// crosses the link is a few bytes of framing per call, read and written in
// bursts.
//
// What stays in fabricd: binding the listeners (they arrive as inherited
// file descriptors), every decision about a call (authentication from the
// client certificate or bearer token, authorization, limits, the answer).
// What is here: TLS (fabricd sends the PEM material over the link, never on
// the command line or in the environment), the client certificate's
// verification against the client CA on mutual-TLS listeners, HTTP/2 and
// gRPC, the message size limit, deadlines and cancellation. A client
// certificate that verified is passed to fabricd as PEM with the call.
//
// The front end lives as long as its link: when fabricd goes away it stops
// at once; when it stops, fabricd starts another (controller/api/front.py).
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

const serviceName = "fabric.v1.Fabric"

// listener kinds in the config frame
const (
	listenPlain = 0 // no TLS (the settings' api.insecure)
	listenMTLS  = 1 // TLS, a client certificate signed by the client CA required
	listenToken = 2 // TLS, no client certificate asked (callers bring a bearer token)
)

type config struct {
	certChain, key, clientCA []byte
	maxRecv                  int
	descriptors              []byte
	listeners                []listenerSpec
}

type listenerSpec struct {
	fd   uintptr
	kind byte
}

func main() {
	fd := flag.Int("link", 3, "the socket pair's file descriptor")
	flag.Parse()
	if err := run(uintptr(*fd)); err != nil {
		fmt.Fprintln(os.Stderr, "fabricd-front:", err)
		os.Exit(1)
	}
}

func run(fd uintptr) error {
	conn, err := net.FileConn(os.NewFile(fd, "link"))
	if err != nil {
		return fmt.Errorf("link fd %d: %w", fd, err)
	}
	kind, body, err := readFrame(conn)
	if err != nil {
		return fmt.Errorf("link: reading the config: %w", err)
	}
	if kind != frameConfig {
		return fmt.Errorf("link: first frame of type %d, want the config (%d)", kind, frameConfig)
	}
	cfg, err := parseConfig(body)
	if err != nil {
		return err
	}
	encoding.RegisterCodec(codec{})
	svc, err := fabricService(cfg.descriptors)
	if err != nil {
		return err
	}
	l := newLink()
	f := &front{link: l, health: health.NewServer()}
	f.health.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	f.health.SetServingStatus(serviceName, healthpb.HealthCheckResponse_NOT_SERVING)

	mutual, secure := false, false
	for _, ls := range cfg.listeners {
		mutual = mutual || ls.kind == listenMTLS
		secure = secure || ls.kind != listenPlain
	}
	var certs *certificates // nil: no listener serves TLS
	if secure {
		if certs, err = newCertificates(cfg.certChain, cfg.key, cfg.clientCA, mutual); err != nil {
			return err
		}
	}
	servers := map[byte]*grpc.Server{}
	for _, ls := range cfg.listeners {
		s := servers[ls.kind]
		if s == nil {
			opts := serverOptions(cfg, certs, ls.kind)
			s = grpc.NewServer(opts...)
			s.RegisterService(f.desc(svc), struct{}{})
			healthpb.RegisterHealthServer(s, f.health)
			reflection.Register(s)
			servers[ls.kind] = s
		}
		lis, err := net.FileListener(os.NewFile(ls.fd, "listener"))
		if err != nil {
			return fmt.Errorf("listener fd %d: %w", ls.fd, err)
		}
		go func() { _ = s.Serve(lis) }()
	}

	broken := make(chan error, 2)
	go func() { broken <- l.writeLoop(conn) }()
	go func() { broken <- l.readLoop(conn) }()
	l.send(newFrame(frameReady).done())
	for {
		select {
		case err := <-broken:
			// fabricd is gone: nothing can answer a call any more
			for _, s := range servers {
				s.Stop()
			}
			if err == nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("link: %w", err)
		case c := <-l.control:
			rd := &reader{b: c.body}
			switch c.kind {
			case frameServing:
				serving := rd.u8()
				if rd.err != nil {
					return fmt.Errorf("link: malformed serving frame: %w", rd.err)
				}
				status := healthpb.HealthCheckResponse_NOT_SERVING
				if serving == 1 {
					status = healthpb.HealthCheckResponse_SERVING
				}
				f.health.SetServingStatus("", status)
				f.health.SetServingStatus(serviceName, status)
				ack := newFrame(frameServing) // the status is served from now on: fabricd's set_serving returns
				ack.u8(serving)
				l.send(ack.done())
			case frameTLS:
				chain, key, ca := rd.bytes(), rd.bytes(), rd.bytes()
				if rd.err != nil {
					return fmt.Errorf("link: malformed TLS frame: %w", rd.err)
				}
				ack := newFrame(frameTLS)
				if err := certs.replace(chain, key, ca); err != nil {
					ack.u8(0) // the old material stays
					ack.bytes([]byte(err.Error()))
				} else {
					ack.u8(1)
					ack.bytes(nil)
				}
				l.send(ack.done())
			case frameStop:
				grace := time.Duration(rd.u32()) * time.Millisecond
				f.health.Shutdown()
				stopAll(servers, grace)
				return nil
			default:
				return fmt.Errorf("link: unexpected frame of type %d", c.kind)
			}
		}
	}
}

// stopAll lets the calls in flight finish for up to grace, then ends them.
func stopAll(servers map[byte]*grpc.Server, grace time.Duration) {
	var wg sync.WaitGroup
	for _, s := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			done := make(chan struct{})
			go func() { s.GracefulStop(); close(done) }()
			select {
			case <-done:
			case <-time.After(grace):
				s.Stop()
			}
		}()
	}
	wg.Wait()
}

func parseConfig(body []byte) (*config, error) {
	rd := &reader{b: body}
	cfg := &config{certChain: rd.bytes(), key: rd.bytes(), clientCA: rd.bytes()}
	cfg.maxRecv = int(rd.u32())
	cfg.descriptors = rd.bytes()
	n := rd.u32()
	for i := uint32(0); i < n && rd.err == nil; i++ {
		cfg.listeners = append(cfg.listeners, listenerSpec{fd: uintptr(rd.u32()), kind: rd.u8()})
	}
	if rd.err != nil {
		return nil, fmt.Errorf("link: malformed config: %w", rd.err)
	}
	if len(cfg.listeners) == 0 {
		return nil, errors.New("link: the config names no listener")
	}
	return cfg, nil
}

func serverOptions(cfg *config, certs *certificates, kind byte) []grpc.ServerOption {
	opts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(cfg.maxRecv),
		grpc.MaxHeaderListSize(16 << 10), // metadata: what a caller may send beside a request
	}
	if kind == listenPlain {
		return opts
	}
	return append(opts, grpc.Creds(credentials.NewTLS(certs.config(kind))))
}

// fabricService registers the descriptors fabricd sent (its API's proto
// files and their imports, dependencies first) for reflection and returns
// the Fabric service's.
func fabricService(set []byte) (protoreflect.ServiceDescriptor, error) {
	var fds descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(set, &fds); err != nil {
		return nil, fmt.Errorf("link: descriptors: %w", err)
	}
	for _, fdp := range fds.File {
		if _, err := protoregistry.GlobalFiles.FindFileByPath(fdp.GetName()); err == nil {
			continue // linked into this binary (health, well-known types)
		}
		file, err := protodesc.NewFile(fdp, protoregistry.GlobalFiles)
		if err != nil {
			return nil, fmt.Errorf("link: descriptor %s: %w", fdp.GetName(), err)
		}
		if err := protoregistry.GlobalFiles.RegisterFile(file); err != nil {
			return nil, fmt.Errorf("link: descriptor %s: %w", fdp.GetName(), err)
		}
	}
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(serviceName)
	if err != nil {
		return nil, fmt.Errorf("link: no %s in the descriptors: %w", serviceName, err)
	}
	svc, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return nil, fmt.Errorf("link: %s is not a service", serviceName)
	}
	return svc, nil
}

package main

import (
	"context"
	"encoding/binary"
	"encoding/pem"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
)

const codeResourceExhausted = uint32(codes.ResourceExhausted)

type front struct {
	link   *link
	health *health.Server
}

// desc is the Fabric service as grpc-go registers it: each method hands its
// call to fabricd.
func (f *front) desc(svc protoreflect.ServiceDescriptor) *grpc.ServiceDesc {
	sd := &grpc.ServiceDesc{ServiceName: serviceName, HandlerType: (*any)(nil), Metadata: svc.ParentFile().Path()}
	methods := svc.Methods()
	for i := 0; i < methods.Len(); i++ {
		m := methods.Get(i)
		full := "/" + serviceName + "/" + string(m.Name())
		switch {
		case m.IsStreamingClient():
			continue // the API has none; grpc answers UNIMPLEMENTED
		case m.IsStreamingServer():
			sd.Streams = append(sd.Streams, grpc.StreamDesc{
				StreamName:    string(m.Name()),
				ServerStreams: true,
				Handler: func(_ any, stream grpc.ServerStream) error {
					return f.stream(full, stream)
				},
			})
		default:
			sd.Methods = append(sd.Methods, grpc.MethodDesc{
				MethodName: string(m.Name()),
				Handler: func(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
					return f.unary(ctx, full, dec)
				},
			})
		}
	}
	return sd
}

func (f *front) unary(ctx context.Context, method string, dec func(any) error) (any, error) {
	var req raw
	if err := dec(&req); err != nil {
		return nil, err
	}
	frame := callFrame(ctx, 0, method, req)
	if len(frame) > maxFrame {
		return nil, status.Error(codes.ResourceExhausted, "the call with its metadata is too large")
	}
	id, c := f.link.open(false)
	if c == nil {
		return nil, status.Error(codes.ResourceExhausted, "too many calls in flight")
	}
	f.link.send(setCallID(frame, id))
	select {
	case a := <-c.answers:
		if a.code != 0 {
			return nil, status.Error(codes.Code(a.code), a.message)
		}
		return raw(a.payload), nil
	case <-ctx.Done():
		f.link.forget(id)
		f.link.send(cancelFrame(id))
		return nil, status.FromContextError(ctx.Err()).Err()
	}
}

func (f *front) stream(method string, stream grpc.ServerStream) error {
	var req raw
	if err := stream.RecvMsg(&req); err != nil {
		return err
	}
	ctx := stream.Context()
	frame := callFrame(ctx, 0, method, req)
	if len(frame) > maxFrame {
		return status.Error(codes.ResourceExhausted, "the call with its metadata is too large")
	}
	id, c := f.link.open(true)
	if c == nil {
		return status.Error(codes.ResourceExhausted, "too many calls in flight")
	}
	f.link.send(setCallID(frame, id))
	for {
		select {
		case a := <-c.answers:
			if a.final {
				if a.code != 0 {
					return status.Error(codes.Code(a.code), a.message)
				}
				return nil
			}
			if err := stream.SendMsg(raw(a.payload)); err != nil {
				f.link.forget(id)
				f.link.send(cancelFrame(id))
				return err
			}
		case <-ctx.Done():
			f.link.forget(id)
			f.link.send(cancelFrame(id))
			return status.FromContextError(ctx.Err()).Err()
		}
	}
}

// callFrame: id, method, the time left (ns, -1: no deadline), the metadata,
// the client certificate (PEM, verified; empty: none) and the request.
func callFrame(ctx context.Context, id uint64, method string, req []byte) []byte {
	w := newFrame(frameCall)
	w.u64(id)
	w.bytes([]byte(method))
	left := int64(-1)
	if dl, ok := ctx.Deadline(); ok {
		left = max(0, int64(time.Until(dl)))
	}
	w.u64(uint64(left))
	md, _ := metadata.FromIncomingContext(ctx)
	pairs := 0
	for k, vs := range md {
		if k != "" && k[0] != ':' && k != "content-type" {
			pairs += len(vs)
		}
	}
	w.u32(uint32(pairs))
	for k, vs := range md {
		if k == "" || k[0] == ':' || k == "content-type" {
			continue
		}
		for _, v := range vs {
			w.bytes([]byte(k))
			w.bytes([]byte(v))
		}
	}
	w.bytes(clientCert(ctx))
	w.bytes(req)
	return w.done()
}

// setCallID writes the call's id into a call frame built before it had one.
func setCallID(frame []byte, id uint64) []byte {
	binary.LittleEndian.PutUint64(frame[5:13], id)
	return frame
}

func clientCert(ctx context.Context) []byte {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return nil
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || len(info.State.VerifiedChains) == 0 || len(info.State.PeerCertificates) == 0 {
		return nil // only a certificate that verified against the client CA names a caller
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: info.State.PeerCertificates[0].Raw})
}

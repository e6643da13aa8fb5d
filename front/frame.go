package main

// The link's frames: [u32 length of the rest][u8 type][body], little endian.
// Byte strings are [u32 length][bytes]. controller/api/link.py is the other
// end and documents each frame's body; the two must change together.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

const (
	frameConfig  = 1 // fabricd -> front: TLS material, limits, descriptors, listeners
	frameServing = 2 // fabricd -> front: the health status; front -> fabricd: it is served now
	frameCall    = 3 // front -> fabricd: a call and its request
	frameReply   = 4 // fabricd -> front: a call's status (and a unary call's response)
	frameMessage = 5 // fabricd -> front: one message of a server stream
	frameCancel  = 6 // front -> fabricd: the caller went away (cancelled, deadline)
	frameStop    = 7 // fabricd -> front: stop serving, finish the calls in flight
	frameReady   = 8 // front -> fabricd: listening
	frameTLS     = 9 // fabricd -> front: new TLS material; front -> fabricd: taken or refused (why)
)

// maxFrame bounds one frame: a request or response (4 MiB at most, the
// server's limit) with its metadata and certificate.
const maxFrame = 8 << 20

var errShort = errors.New("link: frame shorter than its fields")

type writer struct{ b []byte }

func newFrame(kind byte) *writer {
	w := &writer{b: make([]byte, 5, 64)}
	w.b[4] = kind
	return w
}

func (w *writer) u8(v byte)    { w.b = append(w.b, v) }
func (w *writer) u32(v uint32) { w.b = binary.LittleEndian.AppendUint32(w.b, v) }
func (w *writer) u64(v uint64) { w.b = binary.LittleEndian.AppendUint64(w.b, v) }
func (w *writer) bytes(v []byte) {
	w.u32(uint32(len(v)))
	w.b = append(w.b, v...)
}

// done fills in the length and returns the frame.
func (w *writer) done() []byte {
	binary.LittleEndian.PutUint32(w.b, uint32(len(w.b)-4))
	return w.b
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil || n < 0 || len(r.b) < n {
		r.err = errShort
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u8() byte {
	if v := r.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (r *reader) u32() uint32 {
	if v := r.take(4); v != nil {
		return binary.LittleEndian.Uint32(v)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if v := r.take(8); v != nil {
		return binary.LittleEndian.Uint64(v)
	}
	return 0
}

func (r *reader) bytes() []byte { return r.take(int(r.u32())) }

// readFrame reads one frame: its type and body.
func readFrame(src io.Reader) (byte, []byte, error) {
	var head [5]byte
	if _, err := io.ReadFull(src, head[:]); err != nil {
		return 0, nil, err
	}
	n := binary.LittleEndian.Uint32(head[:4])
	if n < 1 || n > maxFrame {
		return 0, nil, fmt.Errorf("link: frame of %d bytes (at most %d)", n, maxFrame)
	}
	body := make([]byte, n-1)
	if _, err := io.ReadFull(src, body); err != nil {
		return 0, nil, err
	}
	return head[4], body, nil
}

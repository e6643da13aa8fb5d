package main

import (
	"bufio"
	"fmt"
	"io"
	"sync"
)

// maxCalls bounds the calls in flight through the link; one more is refused
// with RESOURCE_EXHAUSTED.
const maxCalls = 65536

// streamDepth bounds the messages of one server stream waiting for a slow
// client; a stream that falls further behind is ended.
const streamDepth = 256

// answer is what fabricd sent for a call: a stream message (final false) or
// its status, with the response of a unary call.
type answer struct {
	final   bool
	code    uint32
	message string
	payload []byte
}

type call struct {
	answers chan answer
}

// link is the front end's side of the socket pair to fabricd: frames out
// through one writer goroutine (batched: one write per burst), frames in
// through one reader that hands each answer to its call.
type link struct {
	out chan []byte

	mu    sync.Mutex
	next  uint64
	calls map[uint64]*call

	control chan frameIn // frames that are not answers (serving, stop)
}

type frameIn struct {
	kind byte
	body []byte
}

func newLink() *link {
	return &link{out: make(chan []byte, 4096), calls: map[uint64]*call{}, control: make(chan frameIn, 16)}
}

// writeLoop writes frames as they come, flushing when none is waiting.
func (l *link) writeLoop(dst io.Writer) error {
	w := bufio.NewWriterSize(dst, 64<<10)
	for frame := range l.out {
		if _, err := w.Write(frame); err != nil {
			return err
		}
		if len(l.out) == 0 {
			if err := w.Flush(); err != nil {
				return err
			}
		}
	}
	return w.Flush()
}

// readLoop hands each answer to its call and control frames to control;
// it returns when the link breaks (fabricd is gone).
func (l *link) readLoop(src io.Reader) error {
	r := bufio.NewReaderSize(src, 64<<10)
	for {
		kind, body, err := readFrame(r)
		if err != nil {
			return err
		}
		switch kind {
		case frameReply, frameMessage:
			rd := &reader{b: body}
			id := rd.u64()
			var a answer
			if kind == frameReply {
				a = answer{final: true, code: rd.u32(), message: string(rd.bytes()), payload: rd.bytes()}
			} else {
				a = answer{payload: rd.bytes()}
			}
			if rd.err != nil {
				return fmt.Errorf("link: malformed frame %d: %w", kind, rd.err)
			}
			l.deliver(id, a)
		default:
			l.control <- frameIn{kind, body}
		}
	}
}

func (l *link) deliver(id uint64, a answer) {
	l.mu.Lock()
	c := l.calls[id]
	if a.final {
		delete(l.calls, id)
	}
	l.mu.Unlock()
	if c == nil {
		return // the caller went away: its cancel crossed this answer
	}
	if !a.final && len(c.answers) >= cap(c.answers)-1 {
		// a stream whose client reads slower than fabricd sends: end it
		// (the last slot is the final answer's: it always fits)
		l.forget(id)
		l.send(cancelFrame(id))
		a = answer{final: true, code: codeResourceExhausted, message: "the client reads the stream too slowly"}
	}
	c.answers <- a
}

// open registers a call; nil when too many are in flight.
func (l *link) open(stream bool) (uint64, *call) {
	depth := 1
	if stream {
		depth = streamDepth + 1
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.calls) >= maxCalls {
		return 0, nil
	}
	l.next++
	c := &call{answers: make(chan answer, depth)}
	l.calls[l.next] = c
	return l.next, c
}

func (l *link) forget(id uint64) {
	l.mu.Lock()
	delete(l.calls, id)
	l.mu.Unlock()
}

func (l *link) send(frame []byte) { l.out <- frame }

func cancelFrame(id uint64) []byte {
	w := newFrame(frameCancel)
	w.u64(id)
	return w.done()
}

package main

import (
	"fmt"

	"google.golang.org/protobuf/proto"
)

// raw is a message as bytes: the Fabric service's requests and responses
// cross the front end undecoded (fabricd decodes them).
type raw []byte

// codec replaces grpc's "proto" codec: raw messages pass through, the
// health and reflection services' messages are marshalled as usual.
type codec struct{}

func (codec) Name() string { return "proto" }

func (codec) Marshal(v any) ([]byte, error) {
	switch m := v.(type) {
	case raw:
		return m, nil
	case *raw:
		return *m, nil
	case proto.Message:
		return proto.Marshal(m)
	}
	return nil, fmt.Errorf("codec: cannot marshal %T", v)
}

func (codec) Unmarshal(data []byte, v any) error {
	switch m := v.(type) {
	case *raw:
		*m = append((*m)[:0], data...)
		return nil
	case proto.Message:
		return proto.Unmarshal(data, m)
	}
	return fmt.Errorf("codec: cannot unmarshal into %T", v)
}

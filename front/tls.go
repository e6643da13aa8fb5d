package main

// TLS material that fabricd may replace while the front end serves (a
// rotated certificate, a new client CA): every handshake takes the material
// of the moment; established connections keep theirs.

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"sync/atomic"
)

// material is one certificate with its key and client CA, and the TLS
// configurations of each listener kind made from them.
type material struct {
	byKind map[byte]*tls.Config
}

// newMaterial checks the PEM material (the key is the certificate's; a
// client CA with certificates when mutual-TLS listeners need one) and
// builds each kind's configuration.
func newMaterial(certChain, key, clientCA []byte, mutual bool) (*material, error) {
	cert, err := tls.X509KeyPair(certChain, key)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate and key: %w", err)
	}
	// h2 for ALPN: a configuration handed out per handshake replaces the one
	// grpc's credentials made (which added it)
	token := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2"}}
	m := &material{byKind: map[byte]*tls.Config{listenToken: token}}
	if mutual {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(clientCA) {
			return nil, errors.New("TLS client CA: no certificate in the PEM")
		}
		mtls := token.Clone()
		mtls.ClientCAs = pool
		mtls.ClientAuth = tls.RequireAndVerifyClientCert
		m.byKind[listenMTLS] = mtls
	}
	return m, nil
}

// certificates holds the material of the moment.
type certificates struct {
	mutual  bool // a mutual-TLS listener is served: new material must bring a client CA
	current atomic.Pointer[material]
}

func newCertificates(certChain, key, clientCA []byte, mutual bool) (*certificates, error) {
	m, err := newMaterial(certChain, key, clientCA, mutual)
	if err != nil {
		return nil, err
	}
	c := &certificates{mutual: mutual}
	c.current.Store(m)
	return c, nil
}

// replace swaps in new material, or keeps the old and says why not (nil:
// no listener serves TLS).
func (c *certificates) replace(certChain, key, clientCA []byte) error {
	if c == nil {
		return errors.New("no listener serves TLS")
	}
	m, err := newMaterial(certChain, key, clientCA, c.mutual)
	if err != nil {
		return err
	}
	c.current.Store(m)
	return nil
}

// config is a listener kind's TLS configuration, resolved at each handshake.
func (c *certificates) config(kind byte) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			return c.current.Load().byKind[kind], nil
		},
	}
}

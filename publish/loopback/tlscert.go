package loopback

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The RTMPS face's certificate: given (--tls-cert, --tls-key), or one
// made on first start and kept in a folder (the user's config folder) so
// that its fingerprint stays the same from one start to the next.

// ErrCert is returned when a certificate cannot be read, made or kept.
var ErrCert = errors.New("RTMPS certificate")

// Self-signed certificate files in the folder SelfSignedCert keeps.
const (
	selfCertFile = "loopback-cert.pem"
	selfKeyFile  = "loopback-key.pem"
	// selfCertLife: how long a made certificate lasts; one that expires
	// within a week is made again.
	selfCertLife = 2 * 365 * 24 * time.Hour
)

// LoadCert reads a PEM certificate (chain) and key.
func LoadCert(certFile, keyFile string) (tls.Certificate, error) {
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("%w: %v", ErrCert, err)
	}
	return c, nil
}

// SelfSignedCert returns the certificate kept in dir, making it (ECDSA
// P-256, for localhost, 127.0.0.1 and ::1) when there is none or it
// expires within a week. made says whether it was made now.
func SelfSignedCert(dir string) (c tls.Certificate, made bool, err error) {
	cp, kp := filepath.Join(dir, selfCertFile), filepath.Join(dir, selfKeyFile)
	if c, err := tls.LoadX509KeyPair(cp, kp); err == nil {
		if leaf, err := x509.ParseCertificate(c.Certificate[0]); err == nil && time.Until(leaf.NotAfter) > 7*24*time.Hour {
			c.Leaf = leaf
			return c, false, nil
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return c, false, fmt.Errorf("%w: key: %v", ErrCert, err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return c, false, fmt.Errorf("%w: serial: %v", ErrCert, err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "OnAir loopback server", Organization: []string{"OnAir"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(selfCertLife),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return c, false, fmt.Errorf("%w: %v", ErrCert, err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return c, false, fmt.Errorf("%w: %v", ErrCert, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return c, false, fmt.Errorf("%w: %v", ErrCert, err)
	}
	if err := writeFileAtomic(kp, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		return c, false, fmt.Errorf("%w: %v", ErrCert, err)
	}
	if err := writeFileAtomic(cp, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return c, false, fmt.Errorf("%w: %v", ErrCert, err)
	}
	c, err = tls.LoadX509KeyPair(cp, kp)
	if err != nil {
		return c, false, fmt.Errorf("%w: %v", ErrCert, err)
	}
	c.Leaf, _ = x509.ParseCertificate(c.Certificate[0])
	return c, true, nil
}

func writeFileAtomic(path string, b []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Fingerprint is the SHA-256 of the certificate's leaf, as browsers and
// OpenSSL show it (AB:CD:…); empty without a certificate.
func Fingerprint(c tls.Certificate) string {
	if len(c.Certificate) == 0 {
		return ""
	}
	sum := sha256.Sum256(c.Certificate[0])
	var b strings.Builder
	for i, x := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", x)
	}
	return b.String()
}

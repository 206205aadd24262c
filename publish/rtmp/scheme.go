package rtmp

import "strings"

// Scheme is what an RTMP-family URL scheme asks of the connection.
type Scheme struct {
	// Name is the scheme in lower case: rtmp, rtmps, rtmpt, rtmpts,
	// rtmpe or rtmpte.
	Name string
	// Port is its default port.
	Port string
	// TLS: over TLS (rtmps; rtmpts is RTMPT over HTTPS).
	TLS bool
	// Tunnel: carried in HTTP POSTs (RTMPT), see package rtmpt.
	Tunnel bool
	// Encrypt: RTMPE, the encrypted handshake and RC4 (package handshake).
	Encrypt bool
}

// schemes are the URL schemes OnAir's RTMP client speaks.
var schemes = [...]Scheme{
	{Name: "rtmp", Port: "1935"},
	{Name: "rtmps", Port: "443", TLS: true},
	{Name: "rtmpt", Port: "80", Tunnel: true},
	{Name: "rtmpts", Port: "443", TLS: true, Tunnel: true},
	{Name: "rtmpe", Port: "1935", Encrypt: true},
	{Name: "rtmpte", Port: "80", Tunnel: true, Encrypt: true},
}

// LookupScheme finds name, in any case, among the schemes the client
// speaks.
func LookupScheme(name string) (Scheme, bool) {
	for _, s := range schemes {
		if strings.EqualFold(s.Name, name) {
			return s, true
		}
	}
	return Scheme{}, false
}

// SchemeNames lists the schemes for messages: "rtmp, rtmps, …, rtmpe or rtmpte".
func SchemeNames() string {
	var b strings.Builder
	for i, s := range schemes {
		switch {
		case i == len(schemes)-1:
			b.WriteString(" or ")
		case i > 0:
			b.WriteString(", ")
		}
		b.WriteString(s.Name)
	}
	return b.String()
}

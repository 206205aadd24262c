package rtmfp

// An option (RFC 7016 §2.1.3) is VLU(length) VLU(type) value, length
// counting the type's VLU and the value; a zero length is a marker that
// ends an option list.

// option is one parsed option.
type option struct {
	typ   uint64
	value []byte
}

// appendOption appends an option of type typ carrying value.
func appendOption(b []byte, typ uint64, value []byte) []byte {
	b = appendVLU(b, uint64(vluLen(typ)+len(value)))
	b = appendVLU(b, typ)
	return append(b, value...)
}

// appendOptionVLU appends an option whose value is the VLU v.
func appendOptionVLU(b []byte, typ, v uint64) []byte {
	return appendOption(b, typ, appendVLU(nil, v))
}

// parseOptions reads options from b up to a marker or the end of b, and
// returns them and what follows the marker.
func parseOptions(b []byte) (opts []option, rest []byte, err error) {
	for len(b) > 0 {
		body, r, err := readVLUBytes(b)
		if err != nil {
			return nil, nil, err
		}
		b = r
		if len(body) == 0 { // marker
			return opts, b, nil
		}
		typ, value, err := readVLU(body)
		if err != nil {
			return nil, nil, err
		}
		opts = append(opts, option{typ: typ, value: value})
	}
	return opts, nil, nil
}

// find returns the value of the first option of type typ.
func find(opts []option, typ uint64) ([]byte, bool) {
	for _, o := range opts {
		if o.typ == typ {
			return o.value, true
		}
	}
	return nil, false
}

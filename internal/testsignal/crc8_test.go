package testsignal

import "testing"

func TestCRC8(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		want byte
	}{
		// The spec's check vector: 1700000000000 ms, 6 bytes big-endian.
		{"spec vector", []byte{0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x00}, 0x2A},
		{"empty", nil, 0x00},
		{"zeros", make([]byte, 6), 0x00},
		// Standard CRC-8/SMBUS check value.
		{"123456789", []byte("123456789"), 0xF4},
	}
	for _, c := range cases {
		if got := CRC8(c.in); got != c.want {
			t.Errorf("%s: CRC8(% X) = %#02x, want %#02x", c.name, c.in, got, c.want)
		}
	}
}

func TestTimestampBytes(t *testing.T) {
	got := timestampBytes(1700000000000)
	want := [6]byte{0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x00}
	if got != want {
		t.Fatalf("timestampBytes(1700000000000) = % X, want % X", got, want)
	}
	if c := CRC8(got[:]); c != 0x2A {
		t.Fatalf("CRC8 = %#02x, want 0x2a", c)
	}
}

package engine

import "testing"

func TestDropsText(t *testing.T) {
	for _, c := range []struct {
		name string
		d    Drops
		want string
	}{
		{"none", Drops{}, "dropped 0"},
		{"network", Drops{Network: 4}, "dropped 4 (network 4)"},
		{"everywhere", Drops{Source: 1, Preprocess: 2, Encoder: 3, Network: 4}, "dropped 10 (source 1, preprocess 2, encoder 3, network 4)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.d.Text(); got != c.want {
				t.Errorf("%+v: %q, want %q", c.d, got, c.want)
			}
		})
	}
}

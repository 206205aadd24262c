package guilocale

import "testing"

func TestIsC(t *testing.T) {
	for v, want := range map[string]bool{"C": true, "C.UTF-8": true, "C.utf8": true, "POSIX": true, "C@euro": true,
		"en_US.UTF-8": false, "de_DE": false, "": false, "Cx": false} {
		if IsC(v) != want {
			t.Errorf("IsC(%q) = %v", v, !want)
		}
	}
}

func TestApply(t *testing.T) {
	cases := []struct {
		all, msgs, lang string
		set, want       string
	}{
		{"", "", "C.UTF-8", "LANG", Fallback},
		{"", "", "", "LANG", Fallback},
		{"", "", "de_DE.UTF-8", "", "de_DE.UTF-8"},
		{"POSIX", "", "de_DE.UTF-8", "LC_ALL", Fallback},
		{"", "fr_FR.UTF-8", "C", "", "fr_FR.UTF-8"},
	}
	for _, c := range cases {
		t.Setenv("LC_ALL", c.all)
		t.Setenv("LC_MESSAGES", c.msgs)
		t.Setenv("LANG", c.lang)
		got := apply()
		if got != c.set {
			t.Errorf("%+v: set %q", c, got)
			continue
		}
		k := c.set
		if k == "" {
			k = map[bool]string{true: "LC_MESSAGES", false: "LANG"}[c.msgs != ""]
		}
		if v, _ := syscallGetenv(k); v != c.want {
			t.Errorf("%+v: %s=%q", c, k, v)
		}
	}
}

func syscallGetenv(k string) (string, bool) { return getenv(k) }

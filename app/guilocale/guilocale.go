// Package guilocale gives Fyne a locale it can parse before Fyne reads it.
//
// Fyne's lang package reads the user's locale in its init (in every
// command, not only the window) and prints "Fyne error: Error parsing user
// locale C" when it is C.UTF-8 (common in containers) or POSIX. This
// package's init runs first: it imports only syscall, and Go initializes
// packages in import-path order among those whose imports are done, so it
// runs before "time" and therefore before anything that imports Fyne.
// It sets the deciding variable (LC_ALL, LC_MESSAGES or LANG, the first
// that is set; LANG when none is) to en_US.UTF-8 only when that variable
// names the C or POSIX locale or none is set.
package guilocale

import "syscall"

// Fallback is the locale set in place of C or POSIX.
const Fallback = "en_US.UTF-8"

// init is OnAir's one init function, and it registers nothing: Fyne
// reads the locale in its own init, so nothing later could fix it in time.
func init() { apply() }

// apply sets the fallback where needed and says which variable it set.
func apply() string {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v, _ := getenv(k)
		if v == "" {
			continue
		}
		if !IsC(v) {
			return ""
		}
		_ = syscall.Setenv(k, Fallback)
		return k
	}
	_ = syscall.Setenv("LANG", Fallback)
	return "LANG"
}

// IsC reports whether a locale value names the C or POSIX locale
// ("C", "C.UTF-8", "POSIX", "C@euro" …).
func IsC(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] == '.' || v[i] == '@' {
			v = v[:i]
			break
		}
	}
	return v == "C" || v == "POSIX"
}

func getenv(k string) (string, bool) { return syscall.Getenv(k) }

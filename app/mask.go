package app

import "onair/internal/urlmask"

func maskedAll(urls []string) []string {
	out := make([]string, len(urls))
	for i, u := range urls {
		out[i] = urlmask.MaskDest(u)
	}
	return out
}

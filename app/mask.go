package app

import "onair/publish"

func maskedAll(urls []string) []string {
	out := make([]string, len(urls))
	for i, u := range urls {
		out[i] = publish.MaskURL(u)
	}
	return out
}

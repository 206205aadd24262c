package loopback

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// ErrBadVODPath is returned for a video-on-demand name that does not stay
// inside the VOD folder: "..", an absolute path, a backslash, a NUL, or a
// symbolic link that leads out of it.
var ErrBadVODPath = errors.New("not a file of the video-on-demand folder")

// ErrVODNotFound is returned for a name that is no file of the VOD folder.
var ErrVODNotFound = errors.New("no such recording")

// ErrVODOff is returned when the server has no VOD folder.
var ErrVODOff = errors.New("video on demand is off (no --vod folder)")

// vodExts are the extensions tried, in order, for a name without one.
var vodExts = [...]string{".flv", ".mp4"}

// vodPath finds the file name (slash-separated, relative) names below
// root. Each element must be a plain name (no "", ".", ".."); the file,
// symbolic links resolved, must be a regular file inside root, itself
// resolved. Errors: ErrBadVODPath, ErrVODNotFound.
func vodPath(root, name string) (string, error) {
	if name == "" || len(name) > 1024 || strings.ContainsAny(name, "\\\x00") || path.IsAbs(name) {
		return "", fmt.Errorf("%q: %w", clip(name), ErrBadVODPath)
	}
	for _, el := range strings.Split(name, "/") {
		if el == "" || el == "." || el == ".." {
			return "", fmt.Errorf("%q: %w", clip(name), ErrBadVODPath)
		}
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", fmt.Errorf("the VOD folder: %w", err)
	}
	real, err := filepath.EvalSymlinks(filepath.Join(realRoot, filepath.FromSlash(name)))
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%q: %w", clip(name), ErrVODNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("%q: %w", clip(name), ErrBadVODPath)
	}
	rel, err := filepath.Rel(realRoot, real)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", fmt.Errorf("%q: %w", clip(name), ErrBadVODPath)
	}
	st, err := os.Stat(real)
	if err != nil || !st.Mode().IsRegular() {
		return "", fmt.Errorf("%q: %w", clip(name), ErrVODNotFound)
	}
	return real, nil
}

// rtmpVODName is the file an RTMP play of app and stream name asks for:
// the app is "vod" or "vod/DIR…" (librtmp and FFmpeg put the folders of
// rtmp://HOST/vod/DIR/FILE in the app), the name may carry FMS's "mp4:" or
// "flv:" prefix, a query (dropped), and no extension (librtmp strips
// ".flv"). ok is false when app is not a VOD app. The candidates are the
// names to try, in order.
func rtmpVODName(app, name string) (candidates []string, ok bool) {
	app = strings.Trim(app, "/")
	dir, isVOD := strings.CutPrefix(app, "vod")
	if !isVOD || dir != "" && dir[0] != '/' {
		return nil, false
	}
	name, _, _ = strings.Cut(name, "?")
	if n, ok := strings.CutPrefix(name, "mp4:"); ok {
		name = n
	} else if n, ok := strings.CutPrefix(name, "flv:"); ok {
		name = n
	}
	full := strings.TrimPrefix(dir+"/"+name, "/")
	candidates = []string{full}
	if ext := strings.ToLower(path.Ext(full)); ext != ".flv" && ext != ".mp4" {
		for _, ext := range vodExts {
			candidates = append(candidates, full+ext)
		}
	}
	return candidates, true
}

// clip shortens a name for an error message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

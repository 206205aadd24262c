package hls

import "testing"

func TestMasterPlaylist(t *testing.T) {
	got := string(MasterPlaylist([]Variant{
		{URI: "index.m3u8", Bandwidth: 2_700_000, Width: 1280, Height: 720, FrameRate: 30, Codecs: "avc1.64001f,mp4a.40.2"},
		{URI: "../a_360p/index.m3u8", Bandwidth: 900_000, Width: 640, Height: 360},
		{URI: "x.m3u8"},
	}))
	want := "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n" +
		"#EXT-X-STREAM-INF:BANDWIDTH=2700000,RESOLUTION=1280x720,FRAME-RATE=30.000,CODECS=\"avc1.64001f,mp4a.40.2\"\nindex.m3u8\n" +
		"#EXT-X-STREAM-INF:BANDWIDTH=900000,RESOLUTION=640x360\n../a_360p/index.m3u8\n" +
		"#EXT-X-STREAM-INF:BANDWIDTH=1\nx.m3u8\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestCodecsOf(t *testing.T) {
	for _, c := range []struct {
		avcC, asc []byte
		want      string
	}{
		{[]byte{1, 0x64, 0x00, 0x1f, 0xff}, []byte{0x12, 0x10}, "avc1.64001f,mp4a.40.2"},
		{[]byte{1, 0x42, 0xc0, 0x1e}, nil, "avc1.42c01e"},
		{nil, []byte{0x2b, 0x92}, "mp4a.40.5"},
		{[]byte{0, 1, 2}, []byte{0xf8}, ""}, // not a record; escape object type
	} {
		if got := CodecsOf(c.avcC, c.asc); got != c.want {
			t.Errorf("CodecsOf(%x, %x) = %q, want %q", c.avcC, c.asc, got, c.want)
		}
	}
}

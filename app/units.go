package app

import "onair/app/engine"

// videoOutput is the output picture the streamer asked for.
type videoOutput struct {
	width, height int
	fps           float64
	bitrate       int
}

// parseVideoOutput reads the --size, --fps and --vbitrate flags (or the
// Studio's fields) together.
func parseVideoOutput(size, fps, vbitrate string) (videoOutput, error) {
	var o videoOutput
	var err error
	if o.width, o.height, err = engine.ParseSize(size); err != nil {
		return o, err
	}
	if o.fps, err = engine.ParseFPS(fps); err != nil {
		return o, err
	}
	o.bitrate, err = engine.ParseBitrate(vbitrate)
	return o, err
}

// Package media holds the values that cross between OnAir's stages: raw
// frames with a capture timestamp, encoded packets with PTS and DTS, the
// codec configuration that describes them, and the bounded hand-off queue
// that connects two stages.
//
// Time inside the pipeline is a time.Duration on a stream clock (see Clock).
// Protocol units (FLV milliseconds, 90 kHz) are made only at protocol edges.
package media

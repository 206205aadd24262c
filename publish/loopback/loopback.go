// Package loopback is OnAir's built-in live server: publishers push over
// RTMP, viewers pull over RTMP, HTTP-FLV or HLS, all on this machine by
// default, so a streamer can watch their own stream.
//
// The Hub fans each stream out: a viewer that joins gets the metadata, the
// sequence headers and the current GOP at once, then the live units through
// its own bounded queue, so a slow viewer loses frames (up to the next
// keyframe) without slowing the publisher or the other viewers.
package loopback
